"""newsbot: a Scrapy crawler for the Space Media Network news sites."""

__version__ = "0.1.0"
