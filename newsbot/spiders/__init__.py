"""Spiders: one per site of the registry (newsbot.spiders.sites), all built on NetworkSpider."""
