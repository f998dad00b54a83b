"""Scrapy settings for newsbot: the defaults of an unattended crawl of a small publisher.

README.md says what each NEWSBOT_* setting does and why each politeness default is what it is.
"""

import importlib.metadata
import os

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
SPIDER_LOADER_CLASS = "newsbot.spiders.loader.RegistrySpiderLoader"
NEWSPIDER_MODULE = "newsbot.spiders"
# Our `crawl` exits non-zero when the run failed.
COMMANDS_MODULE = "newsbot.cli.commands"

NEWSBOT_CONTACT_URL = "https://github.com/newsbot/newsbot"


def user_agent(settings: BaseSettings) -> str:
    """USER_AGENT when someone set it (here, -s, a job, a spider), else one naming NEWSBOT_CONTACT_URL."""
    if (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["default"]:
        return str(settings["USER_AGENT"])
    contact = settings["NEWSBOT_CONTACT_URL"]
    return f"newsbot/{importlib.metadata.version('newsbot')}" + (f" (+{contact})" if contact else "")


class ContactAddon:
    # An add-on, so that it reads NEWSBOT_CONTACT_URL after -s and the spider's settings.
    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("USER_AGENT", user_agent(settings), "addon")  # a set USER_AGENT has a higher priority


ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
DOWNLOAD_TIMEOUT = 30.0  # seconds, read as a float: a -s is checked against this type
# A host is looked up once (an unresolvable one is not retried): a resolver that hangs must not hold
# an offline run past the 15 s in which it should say "no network or DNS?" (Scrapy's default is 60).
DNS_TIMEOUT = 10.0
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 3
NEWSBOT_RETRY_BACKOFF = 2.0
NEWSBOT_RETRY_BACKOFF_MAX = 60.0
NEWSBOT_RETRY_AFTER_MAX = 300.0
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's code-execution server for its MCP tools: a port and a token file in the user's state
# folder on every run (an ERROR with a traceback where that folder cannot be written, as under cron).
REMOTE_CONTROL_ENABLED = False

# The environment variable too, so that a command written for the live sites (a cron line, a
# README example) runs unchanged against a saved copy.
NEWSBOT_MIRROR = os.environ.get("NEWSBOT_MIRROR", "")
NEWSBOT_MIRROR_POLITE = False
NEWSBOT_OUTPUT = "output/{spider}-{date}T{time}.jsonl"
# None: the project's own store, in Scrapy's data_path (newsbot/store/); "": none.
NEWSBOT_STATE = None
NEWSBOT_KNOWN_PAGES_OVERSHOOT = 0
NEWSBOT_RUN_REPORT = True
NEWSBOT_MAX_ERRORS = 10

NEWSBOT_STATE_BUSY_TIMEOUT = 60.0
NEWSBOT_LEDGER_MAX_ATTEMPTS = 10
NEWSBOT_LEDGER_GONE_ATTEMPTS = 3
NEWSBOT_LEDGER_GIVE_UP_DAYS = 1.0
# The SMN feeds list about 15 items.
NEWSBOT_FEED_MIN_ITEMS = 10
NEWSBOT_MAX_SECTION_PAGES = 500
NEWSBOT_MAX_LINKS_PER_PAGE = 1000

# The cluster add-on names its Redis store.
NEWSBOT_STORE_CLASS = "newsbot.store.sqlite.SqliteSeenStore"

NEWSBOT_ARCHIVE = True
EXTENSIONS = {
    "scrapy.extensions.logcount.LogCount": None,
    "newsbot.logformatter.CrawlerLogCount": 0,
    "newsbot.extensions.store.StoreExtension": 0,
    "newsbot.extensions.report.RunReport": 500,
    "newsbot.extensions.archive.PageArchive": 600,
    "newsbot.extensions.jobdir.JobQueueGuard": 0,
}
NEWSBOT_PROGRESS_INTERVAL = 60.0
# CSV has no lists: list and object fields are written as JSON text.
FEED_EXPORTERS = {"csv": "newsbot.extensions.exports.JsonFieldsCsvItemExporter"}
NEWSBOT_INCREMENTAL_EXPORTS = False

# A cluster worker's Redis (newsbot/cluster/). Not NEWSBOT_CLUSTER_WORKER: its add-on sets that, at
# a priority below this module's.
NEWSBOT_REDIS_URL = ""
NEWSBOT_REDIS_RETRIES = 3
NEWSBOT_REDIS_TIMEOUT = 5.0

ADDONS = {
    "newsbot.settings.ContactAddon": 0,
    "newsbot.mirror.MirrorAddon": 0,
    "newsbot.cluster.RedisAddon": 0,
}
# Scrapy's duplicate filter, letting the hops of a redirect chain through (REDIRECT_MAX_TIMES bounds it).
DUPEFILTER_CLASS = "newsbot.middlewares.downloader.RedirectChainDupeFilter"
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's offsite and robots.txt rules, whose refusals say why.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newsbot.middlewares.downloader.NetworkOffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsbot.middlewares.downloader.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "newsbot.middlewares.downloader.DecompressionMiddleware": 590,
    # Responses pass it before the retry middleware (550): a block page is not retried at once.
    "newsbot.middlewares.downloader.BlockDetectionMiddleware": 560,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsbot.middlewares.downloader.PoliteRetryMiddleware": 550,
}
SPIDER_MIDDLEWARES = {
    "newsbot.middlewares.walk.WalkPolicyMiddleware": 40,
    "newsbot.middlewares.ledger.LedgerMiddleware": 50,
    "newsbot.middlewares.sections.SectionHealingMiddleware": 60,
    "newsbot.middlewares.claims.OgUrlClaimsMiddleware": 70,
}
ITEM_PIPELINES = {
    "newsbot.pipelines.judge.ValidatePipeline": 100,
    "newsbot.pipelines.judge.DedupePipeline": 200,
    "newsbot.pipelines.writer.JsonLinesWriterPipeline": 900,
}

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
# A run's last console line is its summary (newsbot/extensions/report.py); Scrapy's stats are in the
# run report and, at DEBUG, in the log.
STATS_DUMP = False
LOG_FORMATTER = "newsbot.logformatter.NewsbotLogFormatter"
