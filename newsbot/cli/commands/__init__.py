"""Project commands that replace Scrapy's own (COMMANDS_MODULE in settings): one module per command
name, as Scrapy finds them."""
