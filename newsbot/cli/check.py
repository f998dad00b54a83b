"""`newsbot check`: one small, polite run per site that tells whether the parsers still fit the live
pages (README "Checking the live sites"). The real spider runs in-process, as in `newsbot demo`, on
the first page of a few sections and on a few articles, and writes nothing; newsbot/quality.py judges
what it parsed. A table per site, then `VERDICT <site>: fits|degraded|broken`.

Exit status: 0 when every site fits, 1 when the worst site is degraded or a site could not be
reached at all (not checked: one line names its host and the likely cause), 2 when one is broken (or
the check could not run: a usage error). A scheduler may crawl on 0, crawl and look on 1, hold on 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from typing import Any

from newsbot import keys
from newsbot.cli import CommandError, add_site_options, mirror_option, site_named, write_stdout
from newsbot.mirror import LOCAL_REPLAY_SETTINGS
from newsbot.quality import BROKEN, DEGRADED, FITS, NOTE_MAX_SHARE, assess_site, format_share, worst
from newsbot.registry import Site, load_registry
from newsbot.spiders.args import POSITIVE_INT_EXPECTED, SpiderArguments, positive_int

DEFAULT_ARTICLES = 10
EXIT_STATUS = {FITS: 0, DEGRADED: 1, BROKEN: 2}
EXIT_UNREACHABLE = 1


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="fetch a few pages per site and tell whether the parsers still fit them",
        description=(
            "Fetch, politely, the first page of a few sections and a few articles per site, and tell "
            "for each site whether the parsers still fit its pages (fits / degraded / broken). "
            "Exit status: 0 all fit, 1 degraded or a site not reached, 2 broken or usage error."
        ),
    )
    parser.add_argument(
        "--sections",
        default=None,
        help="comma list of section slugs or labels, or all, for every SITE (default: the site's "
        "declared sections, at the URL its navigation gives them; the navigation's for a site that "
        "declares none)",
    )
    parser.add_argument(
        "--articles",
        type=_positive_int,
        default=DEFAULT_ARTICLES,
        metavar="N",
        help=f"articles fetched per site (default: {DEFAULT_ARTICLES})",
    )
    every = ", e.g. spacewar (default: every site that declares sections)"
    add_site_options(parser, every, verb="check", instead_of="tables")
    parser.add_argument(
        "-s",
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting, e.g. -s USER_AGENT='...' or -s LOG_LEVEL=INFO (repeatable)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    sites = [site_named(name) for name in args.sites] or [s for s in load_registry().sites if s.sections]
    # Read as the spider reads `-a sections`, by the same code (a section name cannot be malformed).
    requested = SpiderArguments.parse({"sections": args.sections} if args.sections else {})
    # `all`: every section of the navigation, and the declared ones it lacks.
    sections = ["all"] if requested.all_sections else requested.sections or []
    settings = dict(_setting(pair) for pair in args.settings)
    mirror = mirror_option(args.mirror)

    reports = _crawl(sites, sections, args.articles, mirror, settings)
    # A site that could not be reached at all was not checked: no verdict on its parsers.
    reached = [report for report in reports if not report["unreachable"]]
    verdict = worst(report["verdict"] for report in reached)
    status = max(EXIT_STATUS[verdict], EXIT_UNREACHABLE if len(reached) < len(reports) else 0)
    if args.json:
        head = {"source": mirror or "live", "articles_per_site": args.articles, "verdict": verdict}
        document = {**head, "exit_status": status, "sites": reports}
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    else:
        where = f"the mirror {mirror}" if mirror else "the live sites"
        heading = f"newsbot check: {len(reports)} site(s) from {where}, up to {args.articles} articles each\n"
        not_checked = [
            f"NOT CHECKED {r['site']}: {'; '.join(r['unreachable'])}" for r in reports if r["unreachable"]
        ]
        blocks = [heading, *map(render_site, reached), *map(verdict_line, reached), *not_checked]
        text = "\n".join(blocks) + "\n"
    write_stdout(text)  # read or not, the exit status tells the verdict
    return status


# --- The run ---


def _crawl(
    sites: list[Site], sections: list[str], articles: int, mirror: str, overrides: dict[str, str]
) -> list[dict[str, Any]]:
    """Crawl every site in one process; one report per site."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.conf import closest_scrapy_cfg
    from scrapy.utils.project import get_project_settings

    if "SCRAPY_SETTINGS_MODULE" not in os.environ and not closest_scrapy_cfg():
        # Run from outside a Scrapy project folder (cron, say): newsbot's own settings.
        os.environ["SCRAPY_SETTINGS_MODULE"] = "newsbot.settings"
    settings = get_project_settings()
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if mirror:
        # Politeness is for the live sites; a mirror is a saved copy of our own.
        settings.setdict({"NEWSBOT_MIRROR": mirror, **LOCAL_REPLAY_SETTINGS}, priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    # A check writes nothing and remembers nothing: no JSON Lines, no run report, and no
    # seen-articles store (NEWSBOT_STATE unset means the default store, so it is set empty always:
    # a check must neither skip articles a crawl wrote nor mark the ones it parses as known).
    # The crawl's own run report and its verdict step aside too: the check judges the run itself.
    settings.setdict(
        {
            "NEWSBOT_OUTPUT": "",
            "NEWSBOT_STATE": "",
            # Nor joins a cluster: a check must not take requests from, or mark articles in, Redis.
            "NEWSBOT_REDIS_URL": "",
            "NEWSBOT_RUN_REPORT": False,
            "FEEDS": {},
        },
        priority="cmdline",
    )
    spider_args: dict[str, Any] = {"max_pages": 1, "max_articles": articles}
    if sections:
        spider_args["sections"] = ",".join(sections)

    process = CrawlerProcess(settings)
    # The writer and the seen-articles components step aside, as they must here: not worth a warning.
    logging.getLogger("scrapy.middleware").addFilter(
        lambda record: not str(record.msg).startswith("Disabled ")
    )
    runs = []
    for site in sites:
        crawler = process.create_crawler(site.name)
        runs.append((site, crawler, _kept_items(crawler), len(sections) if sections else len(site.sections)))
        process.crawl(crawler, **spider_args)
    process.start()
    return [_report(*run) for run in runs]


def _kept_items(crawler: Any) -> list[dict[str, Any]]:
    """The list every item the spider parses goes into, as it ends in one of the three signals.

    Items dropped by a pipeline count too: a duplicate (a syndicated copy another site of this
    check saw first, the dedupe memory being shared in-process) was parsed all the same, and an
    invalid item is counted as invalid, not lost.
    """
    from itemadapter import ItemAdapter
    from scrapy import signals

    items: list[dict[str, Any]] = []

    def keep(item: Any) -> None:
        items.append(ItemAdapter(item).asdict())

    for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
        crawler.signals.connect(keep, signal=signal, weak=False)  # nothing else holds `keep`
    return items


def _report(site: Site, crawler: Any, items: list[dict[str, Any]], sections_requested: int) -> dict[str, Any]:
    """The site's figures from the crawl's stats and items, judged by newsbot.quality."""
    from jsonschema import Draft202012Validator

    from newsbot.item import shipped_schema

    stats: dict[str, Any] = dict(crawler.stats.get_stats() or {}) if crawler.stats else {}

    def by_reason(prefix: str) -> dict[str, int]:
        return {
            key.removeprefix(prefix): value for key, value in sorted(stats.items()) if key.startswith(prefix)
        }

    # Navigation links that listed nothing when walked were not sections after all: the spider
    # counts them apart, and they judge nothing here.
    not_sections = stats.get(keys.STATS_SECTIONS_EMPTY, 0)
    walked = stats.get(keys.STATS_SECTIONS_WALKED)
    section_pages = stats.get(keys.STATS_SECTION_PAGES, 0) - not_sections
    links = stats.get(keys.STATS_LISTED_ENTRIES, 0)
    not_article = stats.get(keys.STATS_PAGES_NOT_ARTICLE, 0)
    unparsed = stats.get(keys.STATS_PAGES_UNPARSED, 0)
    validator = Draft202012Validator(shipped_schema())
    figures = {
        "finish_reason": stats.get("finish_reason") if stats else "not_started",
        "pages_fetched": stats.get("downloader/response_count", 0),
        "error_responses": sum(
            value
            for key, value in stats.items()
            if key.startswith("downloader/response_status_count/") and int(key.rsplit("/", 1)[1]) >= 400
        ),
        "download_errors": stats.get("downloader/exception_count", 0),
        "sections_requested": (len(walked) if walked is not None else sections_requested) - not_sections,
        "section_pages": section_pages,
        "section_pages_empty": stats.get(keys.STATS_SECTION_PAGES_EMPTY, 0) - not_sections,
        "article_links": links,
        "article_links_per_section_page": links / section_pages if section_pages else None,
        "articles_requested": stats.get(keys.STATS_ARTICLES_REQUESTED) or not_article + unparsed + len(items),
        "articles_parsed": len(items),
        "pages_not_article": not_article,
        "pages_unparsed": unparsed,
        "items_invalid": sum(not validator.is_valid(item) for item in items),
        "duplicates_dropped": sum(by_reason(keys.STATS_ITEMS_DROPPED_PREFIX).values()),
        # Why pages were not had, as the spider classifies it (HTTP status, block page, not an article).
        "articles_missing": by_reason(keys.STATS_MISSING_PREFIX),
        "section_pages_failed": by_reason(keys.STATS_SECTION_PAGES_FAILED_PREFIX),
        "unreachable": stats.get(keys.STATS_HOSTS_UNREACHABLE, []),
        "sections": {
            "resolved": stats.get(keys.STATS_SECTIONS, []),
            "walked": walked or [],
            "moved": stats.get(keys.STATS_SECTIONS_MOVED, []),
            "new": stats.get(keys.STATS_SECTIONS_NEW, []),
            "missing": stats.get(keys.STATS_SECTIONS_MISSING, []),
            "healed": stats.get(keys.STATS_SECTIONS_HEALED, 0),
            "not_sections_walked": not_sections,
            "navigation_read": not stats.get(keys.STATS_HOME_FAILED, 0),
        },
    }
    judged = assess_site(figures, items, stats.get(keys.STATS_UNKNOWN_SECTIONS))
    verdict = {"verdict": judged.pop("verdict"), "reasons": judged.pop("reasons")}
    return {"site": site.name, "host": site.host, **verdict, **figures, **judged}


# --- Output ---


def render_site(report: dict[str, Any]) -> str:
    """The fixed-width table of one site, from its JSON report (so text and JSON say the same)."""
    per_page = report["article_links_per_section_page"]
    lines = [
        f"{report['site']} ({report['host']})",
        f"  pages fetched: {report['pages_fetched']} (robots.txt included; "
        f"error responses {report['error_responses']}, download errors {report['download_errors']})",
        f"  article links per section page: "
        f"{'-' if per_page is None else f'{per_page:.1f}'} "
        f"({report['article_links']} links on {report['section_pages']} section pages, "
        f"{report['section_pages_empty']} listing none)",
        f"  article links followed: {report['articles_requested']}; parsed {report['articles_parsed']}, "
        f"not an article page {report['pages_not_article']}, unparseable {report['pages_unparsed']}, "
        f"invalid {report['items_invalid']}, dropped as duplicates {report['duplicates_dropped']}",
        *_section_lines(report["sections"]),
    ]
    for key, what in (
        ("section_pages_failed", "section pages failed"),
        ("articles_missing", "articles missing"),
    ):
        if report[key]:
            reasons = ", ".join(f"{reason} {count}" for reason, count in report[key].items())
            lines.append(f"  {what}, by reason: {reasons}")
    lines += ["", f"  {'measure':<48} {'count':>9} {'share':>7} {'fits at':>8} {'broken <':>9}  status"]
    lines += [_row(measure["label"], measure) for measure in report["run"].values()]
    lines.append("  field filled on (of the articles parsed)")
    lines += [_row(f"  {name}", measure) for name, measure in report["fields"].items()]
    lines.append("")
    if not report["notes"]:
        lines.append("  parser notes: none")
    else:
        lines.append(
            f"  {'parser note (fallback used)':<58} {'articles':>9} {'share':>7}  "
            f"status (degraded above {format_share(NOTE_MAX_SHARE)})"
        )
    for kind, note in report["notes"].items():
        count = f"{note['articles']} of {note['total']}"
        status = note["status"] or "not judged: the field's fill rate judges it"
        lines.append(f"  {_cut(kind, 58):<58} {count:>9} {format_share(note['share']):>7}  {status}")
    return "\n".join([*lines, ""])


def _section_lines(sections: dict[str, Any]) -> list[str]:
    """What the home page navigation said against sites.toml: moved, new and missing sections."""
    if not sections["navigation_read"]:
        return ["  navigation: the home page could not be fetched; the declared section URLs were used"]
    walked = ", ".join(sections["walked"]) or "-"
    lines = [f"  navigation: {len(sections['resolved'])} section(s); walked: {walked}"]
    lines += [
        f"  section MOVED: {moved['label']} {moved['declared_url']} -> {moved['url']} (fix sites.toml)"
        for moved in sections["moved"]
    ]
    for key, what in (
        ("new", "sections not declared in sites.toml"),
        ("missing", "declared sections NOT in the navigation"),
        ("healed", "declared sections found again by label after their URL failed"),
        ("not_sections_walked", "navigation links that listed no article"),
    ):
        if value := sections[key]:  # a list of section keys, or a count
            lines.append(f"  {what}: {', '.join(value) if isinstance(value, list) else value}")
    return lines


def _row(label: str, measure: dict[str, Any]) -> str:
    count = f"{measure['count']} of {measure['total']}"
    share = "-" if measure["share"] is None else format_share(measure["share"])
    judged = measure["fits_at"] is not None
    fits = format_share(measure["fits_at"]) if judged else "-"
    broken = format_share(measure["broken_below"]) if judged else "-"
    status = (measure["status"] or "-") if judged else "not judged"
    return f"  {_cut(label, 48):<48} {count:>9} {share:>7} {fits:>8} {broken:>9}  {status}"


def verdict_line(report: dict[str, Any]) -> str:
    reasons = f" ({'; '.join(report['reasons'])})" if report["reasons"] else ""
    return f"VERDICT {report['site']}: {report['verdict']}{reasons}"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# --- Arguments ---


def _positive_int(value: str) -> int:
    """argparse's face of the spider arguments' rule (newsbot.spiders.args.positive_int)."""
    try:
        number = positive_int(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{error}, got {value!r}") from None
    if number is None:
        raise argparse.ArgumentTypeError(f"{POSITIVE_INT_EXPECTED}, got {value!r}")
    return number


def _setting(pair: str) -> tuple[str, str]:
    name, sep, value = pair.partition("=")
    if not sep or not name.strip():
        raise CommandError(f"-s {pair!r}: expected NAME=VALUE")
    return name.strip(), value
