"""Scrapy settings for newsbot. Defaults fit an unattended crawl of a small publisher.

Each politeness default is explained in README.md ("Politeness"); change them with `-s NAME=value`
or in a Scrapyd job's settings.
"""

import importlib.metadata
import os

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
# Adds one spider per registry site (newsbot/spiders/loader.py) to those of SPIDER_MODULES.
SPIDER_LOADER_CLASS = "newsbot.spiders.loader.RegistrySpiderLoader"
NEWSPIDER_MODULE = "newsbot.spiders"
# Our `crawl` command wraps Scrapy's so that a run that failed exits non-zero.
COMMANDS_MODULE = "newsbot.cli.commands"

# Where the site contact lives; it goes into the User-Agent so a site owner can reach us: the
# ContactAddon below makes USER_AGENT `newsbot/<version> (+NEWSBOT_CONTACT_URL)` unless it is set.
NEWSBOT_CONTACT_URL = "https://github.com/newsbot/newsbot"


def user_agent(settings: BaseSettings) -> str:
    """USER_AGENT when someone set it (here, with -s, in a job, in a spider), else newsbot's own,
    naming NEWSBOT_CONTACT_URL."""
    if (settings.getpriority("USER_AGENT") or 0) > SETTINGS_PRIORITIES["default"]:
        return str(settings["USER_AGENT"])
    return f"newsbot/{importlib.metadata.version('newsbot')} (+{settings['NEWSBOT_CONTACT_URL']})"


class ContactAddon:
    """USER_AGENT from NEWSBOT_CONTACT_URL as the crawler's settings have it (after -s and the spider's)."""

    def update_settings(self, settings: BaseSettings) -> None:
        settings.set("USER_AGENT", user_agent(settings), "addon")  # a set USER_AGENT has a higher priority


ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
# A host is looked up once (an unresolvable one is not retried): a resolver that hangs must not hold
# an offline run past the 15 s in which it should say "no network or DNS?" (Scrapy's default is 60).
DNS_TIMEOUT = 10
# Article pages are a few tens of KB; anything past this is not an article page.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
# Seconds before the first retry, doubled at each (newsbot.middlewares.downloader.PoliteRetryMiddleware).
NEWSBOT_RETRY_BACKOFF = 2.0
NEWSBOT_RETRY_BACKOFF_MAX = 60.0
# A Retry-After longer than this is not waited for: the page is given up and reported.
NEWSBOT_RETRY_AFTER_MAX = 300.0
# Redirect loops and chains end here rather than at Scrapy's 20.
REDIRECT_MAX_TIMES = 5
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# Replay a saved copy of the network (wget --mirror layout): an http(s) or file:// URL of the
# folder that holds `www.spacewar.com/...`, or the folder. Empty: fetch the live sites. The
# environment variable of the same name sets it too, so that a command written for the live sites
# (a cron line, a README example) runs unchanged against a saved copy.
NEWSBOT_MIRROR = os.environ.get("NEWSBOT_MIRROR", "")
# A local replay (a folder, a server on loopback) runs without the live politeness below;
# True keeps DOWNLOAD_DELAY and AutoThrottle as for the live sites.
NEWSBOT_MIRROR_POLITE = False
# Each run's delivery of JSON Lines when no -o/-O feed is given (newsbot/delivery.py): written as
# `<name>.part`, renamed when the run ends. Placeholders {spider}, {site}, {date}, {time} (UTC),
# %(name)s, %(time)s; a relative path is taken from the project folder (scrapy.cfg's).
NEWSBOT_OUTPUT = "output/{spider}-{date}T{time}.jsonl"
# The seen-articles store shared by every spider and run (see newsbot/store/). Unset: the
# project's own, .scrapy/newsbot/seen.sqlite beside scrapy.cfg (Scrapy's data_path, where its HTTP
# cache lives), so two checkouts never share one by accident; empty: no memory across runs
# (duplicates are still dropped within the run).
# NEWSBOT_STATE = "/var/lib/newsbot/seen.sqlite"
# Section pages walked past the first page whose entries are all known already.
NEWSBOT_KNOWN_PAGES_OVERSHOOT = 0
# The run report (JSON) beside the run's delivery, `<name>.report.json`, written while the crawl runs
# and when it ends; NEWSBOT_RUN_REPORT=False: none, and no verdict.
NEWSBOT_RUN_REPORT = True
# More errors than this (ERROR log lines: failed downloads after retries, spider exceptions) fail
# the run: `scrapy crawl` exits 1.
NEWSBOT_MAX_ERRORS = 10

# Seconds a crawl waits for a store another process holds locked (logged), then the run fails.
NEWSBOT_STATE_BUSY_TIMEOUT = 60.0
# The ledger of articles not yet had (newsbot/ledger.py): attempts before an entry is given up (for
# `gone`, `not_article`: NEWSBOT_LEDGER_GONE_ATTEMPTS), and never before this many days since the first.
NEWSBOT_LEDGER_MAX_ATTEMPTS = 10
NEWSBOT_LEDGER_GONE_ATTEMPTS = 3
NEWSBOT_LEDGER_GIVE_UP_DAYS = 1.0
# The SMN feeds list about 15 items: a feed listing fewer was cut short, or has changed (a warning).
NEWSBOT_FEED_MIN_ITEMS = 10
# Bounds of a section walk (newsbot/middlewares/walk.py): pages walked, article links taken from one page.
NEWSBOT_MAX_SECTION_PAGES = 500
NEWSBOT_MAX_LINKS_PER_PAGE = 1000

# The seen-articles store's class (newsbot/store/); the cluster add-on names its Redis store.
NEWSBOT_STORE_CLASS = "newsbot.store.sqlite.SqliteSeenStore"

# Keep every page a run fetches (WARC records, gzip) beside its delivery, for `newsbot rebuild`:
# 3.2 MB per 1,000 snapshot pages (README "The archive"). False: no archive.
NEWSBOT_ARCHIVE = True
EXTENSIONS = {
    # Opens, checks and closes the store; other components find it with crawler.get_extension().
    "newsbot.extensions.store.StoreExtension": 0,
    "newsbot.extensions.report.RunReport": 500,
    "newsbot.extensions.archive.PageArchive": 600,
}
# Seconds between progress lines (and interim run reports) of a crawl; 0: none.
NEWSBOT_PROGRESS_INTERVAL = 60
# CSV has no lists: list and object fields are written as JSON text.
FEED_EXPORTERS = {"csv": "newsbot.extensions.exports.JsonFieldsCsvItemExporter"}
# A feed export (-o/-O/FEEDS) is a complete copy: the store neither skips nor marks its articles.
# True: it holds only what no earlier run wrote, and marks what it exports, like NEWSBOT_OUTPUT.
NEWSBOT_INCREMENTAL_EXPORTS = False

# A cluster's Redis calls (NEWSBOT_REDIS_URL): attempts after the first, and the socket timeout in
# seconds of connecting and of every reply. When they run out, the worker stops (exit 1).
NEWSBOT_REDIS_RETRIES = 3
NEWSBOT_REDIS_TIMEOUT = 5.0

ADDONS = {
    "newsbot.settings.ContactAddon": 0,
    # Installs the mirror's download handler when NEWSBOT_MIRROR is set; nothing otherwise.
    "newsbot.mirror.MirrorAddon": 0,
    "newsbot.cluster.addon.RedisAddon": 0,  # NEWSBOT_REDIS_URL: shared frontier and store in Redis
}
# Scrapy's duplicate filter, letting the hops of a redirect chain through (REDIRECT_MAX_TIMES bounds it).
DUPEFILTER_CLASS = "newsbot.middlewares.downloader.RedirectChainDupeFilter"
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's offsite and robots.txt rules, whose refusals say why (newsbot.reasons).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "newsbot.middlewares.downloader.NetworkOffsiteMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsbot.middlewares.downloader.RobotsMiddleware": 100,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "newsbot.middlewares.downloader.DecompressionMiddleware": 590,
    # Responses pass it before the retry middleware (550): a block page is not retried at once.
    "newsbot.middlewares.downloader.BlockDetectionMiddleware": 560,
    # Retries that wait: Retry-After when the server gives one, exponential backoff otherwise.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "newsbot.middlewares.downloader.PoliteRetryMiddleware": 550,
}
SPIDER_MIDDLEWARES = {
    # What of a listing is fetched: known articles, since, max_articles, max_pages, bounds.
    "newsbot.middlewares.walk.WalkPolicyMiddleware": 40,
    # Asks for the articles earlier runs could not write before the walks start.
    "newsbot.middlewares.ledger.LedgerMiddleware": 50,
    # A section's first page the navigation did not vouch for: healed when it is gone or empty.
    "newsbot.middlewares.sections.SectionHealingMiddleware": 60,
    # An og:url that names another article does not take its URL.
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
