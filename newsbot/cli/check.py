"""`newsbot check`: a small run of the real spiders per site, writing nothing, whose items and stats
newsbot/quality.py judges: a scheduler may crawl on exit 0, crawl and look on 1, hold on 2."""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from newsbot import keys
from newsbot.cli import mirror_option, project_settings, site_named, table, write_stdout
from newsbot.cli.commands import INSPECTION_SETTINGS
from newsbot.mirror import LOCAL_REPLAY_SETTINGS
from newsbot.quality import BROKEN, DEGRADED, FITS, NOTE_MAX_SHARE, assess_site, format_share, worst
from newsbot.reasons import InvalidItem
from newsbot.registry import Site, load_registry
from newsbot.spiders.args import SpiderArguments

DEFAULT_ARTICLES = 10
EXIT_STATUS = {FITS: 0, DEGRADED: 1, BROKEN: 2}
EXIT_UNREACHABLE = 1


def run(args: argparse.Namespace) -> int:
    """Fetch a few pages per site and tell whether the parsers still fit them. Politely: the first page of a
    few sections and a few articles per site, a verdict per site (fits / degraded / broken). Exit status:
    0 all fit, 1 degraded or a site not reached, 2 broken or usage error."""
    sites = [site_named(name) for name in args.sites] or [s for s in load_registry().sites if s.sections]
    spider_args = {"max_pages": 1, "max_articles": args.articles, "sections": args.sections}
    # Read by the spider's own rules, a usage error before any crawl (a section name cannot be malformed).
    requested = SpiderArguments.parse(spider_args)
    mirror = mirror_option(args.mirror)
    reports = _crawl(sites, {k: v for k, v in spider_args.items() if v}, requested.sections, mirror)
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


def _crawl(
    sites: list[Site], spider_args: dict[str, Any], sections: list[str] | None, mirror: str
) -> list[dict[str, Any]]:
    from scrapy.crawler import CrawlerProcess

    settings = project_settings()
    settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
    if mirror:
        # Politeness is for the live sites; a mirror is a saved copy of our own.
        settings.setdict({"NEWSBOT_MIRROR": mirror, **LOCAL_REPLAY_SETTINGS}, priority="cmdline")
    # A check writes and remembers nothing, as Scrapy's inspection commands (no cluster either): it must
    # neither skip articles a crawl wrote nor mark the ones it parses as known.
    nothing = {**INSPECTION_SETTINGS, "NEWSBOT_REDIS_URL": "", "FEEDS": {}}
    settings.setdict(nothing, priority="cmdline")
    process = CrawlerProcess(settings)
    # The writer and the seen-articles components step aside, as they must here: not worth a warning.
    logging.getLogger("scrapy.middleware").addFilter(
        lambda record: not str(record.msg).startswith("Disabled ")
    )
    runs = []
    for site in sites:
        crawler = process.create_crawler(site.name)
        runs.append((site, crawler, len(sections or site.sections)))
        process.crawl(crawler, **spider_args)
    process.start()
    return [_report(*run) for run in runs]


def _report(site: Site, crawler: Any, sections_requested: int) -> dict[str, Any]:
    """The site's figures from the crawl's stats, judged by newsbot.quality."""
    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    # Navigation links that listed nothing when walked were not sections after all: the spider
    # counts them apart, and they judge nothing here.
    not_sections = stats.get(keys.STATS_SECTIONS_EMPTY, 0)
    walked = stats.get(keys.STATS_SECTIONS_WALKED)
    section_pages = stats.get(keys.STATS_SECTION_PAGES, 0) - not_sections
    links = stats.get(keys.STATS_LISTED_ENTRIES, 0)
    statuses = keys.stats_under(stats, "downloader/response_status_count/")
    # Every item the spider parsed: a duplicate dropped (a syndicated copy another site of this check
    # saw first) was parsed all the same.
    invalid = stats.get(f"item_dropped_reasons_count/{InvalidItem.__name__}", 0)
    parsed = stats.get(keys.STATS_ITEMS_VALID, 0) + invalid
    figures = {
        "finish_reason": stats.get("finish_reason") if stats else "not_started",
        "pages_fetched": stats.get("downloader/response_count", 0),
        "error_responses": sum(n for code, n in statuses.items() if int(code) >= 400),
        "download_errors": stats.get("downloader/exception_count", 0),
        "sections_requested": (len(walked) if walked is not None else sections_requested) - not_sections,
        "section_pages": section_pages,
        "section_pages_empty": stats.get(keys.STATS_SECTION_PAGES_EMPTY, 0) - not_sections,
        "article_links": links,
        "article_links_per_section_page": links / section_pages if section_pages else None,
        "articles_requested": stats.get(keys.STATS_ARTICLES_REQUESTED, 0),
        "articles_parsed": parsed,
        "pages_not_article": stats.get(keys.STATS_PAGES_NOT_ARTICLE, 0),
        "pages_unparsed": stats.get(keys.STATS_PAGES_UNPARSED, 0),
        "items_invalid": invalid,
        "duplicates_dropped": sum(keys.stats_under(stats, keys.STATS_ITEMS_DROPPED_PREFIX).values()),
        # Why pages were not had, as the spider classifies it (HTTP status, block page, not an article).
        "articles_missing": keys.stats_under(stats, keys.STATS_MISSING_PREFIX),
        "section_pages_failed": keys.stats_under(stats, keys.STATS_SECTION_PAGES_FAILED_PREFIX),
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
    judged = assess_site(figures, stats)
    verdict = {"verdict": judged.pop("verdict"), "reasons": judged.pop("reasons")}
    return {"site": site.name, "host": site.host, **verdict, **figures, **judged}


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
    measures = [["measure", "count", "share", "fits at", "broken <", "status"]]
    measures += [_row(measure["label"], measure) for measure in report["run"].values()]
    measures.append(["field filled on (of the valid items)", "", "", "", "", ""])
    measures += [_row(f"  {name}", measure) for name, measure in report["fields"].items()]
    lines += ["", *table(measures, "<>>>><", "  "), ""]
    if not report["notes"]:
        lines.append("  parser notes: none")
    else:
        limit = f"status (degraded above {format_share(NOTE_MAX_SHARE)})"
        notes = [["parser note (fallback used)", "articles", "share", limit]]
        notes += [
            [
                kind,
                f"{note['articles']} of {note['total']}",
                format_share(note["share"]),
                note["status"] or "not judged: the field's fill rate judges it",
            ]
            for kind, note in report["notes"].items()
        ]
        lines += table(notes, "<>><", "  ")
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


def _row(label: str, measure: dict[str, Any]) -> list[str]:
    judged = measure["fits_at"] is not None
    return [
        label,
        f"{measure['count']} of {measure['total']}",
        "-" if measure["share"] is None else format_share(measure["share"]),
        format_share(measure["fits_at"]) if judged else "-",
        format_share(measure["broken_below"]) if judged else "-",
        (measure["status"] or "-") if judged else "not judged",
    ]


def verdict_line(report: dict[str, Any]) -> str:
    reasons = f" ({'; '.join(report['reasons'])})" if report["reasons"] else ""
    return f"VERDICT {report['site']}: {report['verdict']}{reasons}"
