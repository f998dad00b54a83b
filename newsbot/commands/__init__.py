"""Project commands that replace Scrapy's own (see COMMANDS_MODULE in settings)."""
