"""Spiders: one per site of the registry (newsbot.spiders.loader), all built on NetworkSpider."""
