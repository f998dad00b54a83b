"""`newsbot check`: a small run of the real spiders per site, writing nothing, whose items and stats
newsbot/quality.py judges: a scheduler may crawl on exit 0, crawl and look on 1, hold on 2."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from typing import Any

from newsbot import keys
from newsbot.cli import mirror_option, project_settings, site_named, table
from newsbot.cli.commands import INSPECTION_SETTINGS
from newsbot.quality import BROKEN, DEGRADED, FITS, NOTE_MAX_SHARE, VERDICTS, assess_site, format_share, worst
from newsbot.reasons import BLOCKED, ROBOTS, InvalidItem
from newsbot.registry import Site, load_registry
from newsbot.spiders.args import SpiderArguments

EXIT_STATUS = {FITS: 0, DEGRADED: 1, BROKEN: 2}
EXIT_UNREACHABLE = 1
# Why a page was not had when the site would not let the crawler have it, as the check says it.
REFUSALS = {BLOCKED: "block page(s)", ROBOTS: "page(s) robots.txt forbids"}


def run(args: argparse.Namespace) -> int:
    """Fetch a few pages per site and tell whether the parsers still fit them. Politely: the first page of a
    few sections and a few articles per site, a verdict per site (fits / degraded / broken). Exit status:
    0 all fit, 1 degraded or a site not reached, 2 broken or usage error."""
    from scrapy.crawler import CrawlerProcess

    sites = [site_named(name) for name in args.sites] or [s for s in load_registry().sites if s.sections]
    spider_args = {"max_pages": 1, "max_articles": args.articles, "sections": args.sections}
    # Read by the spider's own rules, a usage error before any crawl (a section name cannot be malformed).
    SpiderArguments.parse(spider_args)
    mirror = mirror_option(args.mirror)
    settings = project_settings()
    # A check writes and remembers nothing, as Scrapy's inspection commands (no cluster either): it must
    # neither skip articles a crawl wrote nor mark the ones it parses as known. "" is the live sites.
    nothing = {**INSPECTION_SETTINGS, "NEWSBOT_REDIS_URL": "", "FEEDS": {}, "NEWSBOT_MIRROR": mirror}
    settings.setdict({**nothing, "LOG_LEVEL": "WARNING"}, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = [(site, process.create_crawler(site.name)) for site in sites]
    for _, crawler in crawlers:
        process.crawl(crawler, **{k: v for k, v in spider_args.items() if v})
    process.start()
    reports = [
        _report(site, crawler.stats.get_stats() if crawler.stats else {}) for site, crawler in crawlers
    ]
    # A site that could not be reached at all was not checked: no verdict on its parsers.
    reached = [report for report in reports if not report["unreachable"]]
    verdict = worst(report["verdict"] for report in reached) if reached else None
    status = max(
        EXIT_STATUS[verdict] if verdict else 0, EXIT_UNREACHABLE if len(reached) < len(reports) else 0
    )
    if args.json:
        head = {"source": mirror or "live", "articles_per_site": args.articles, "verdict": verdict}
        text = json.dumps({**head, "exit_status": status, "sites": reports}, indent=2, ensure_ascii=False)
    else:
        where = f"the mirror {mirror}" if mirror else "the live sites"
        # The first line says the outcome, as the exit status does: a mail's or a log's first line is read.
        counts = Counter(report["verdict"] or "not checked" for report in reports)
        outcome = ", ".join(f"{word} {counts[word]}" for word in (*VERDICTS, "not checked") if counts[word])
        what = f"{len(reports)} site(s) from {where}, up to {args.articles} articles each"
        heading = f"newsbot check: {outcome} ({what})\n"
        verdicts = [
            f"VERDICT {r['site']}: {r['verdict']}" + (f" ({'; '.join(r['reasons'])})" if r["reasons"] else "")
            for r in reached
        ]
        not_checked = [
            f"NOT CHECKED {r['site']}: {'; '.join(r['unreachable'])}" for r in reports if r["unreachable"]
        ]
        text = "\n".join([heading, *map(render_site, reached), *verdicts, *not_checked])
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # read or not, the exit status tells the verdict (as in newsbot.cli.main)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return status


def _report(site: Site, stats: dict[str, Any]) -> dict[str, Any]:
    """The site's figures from the crawl's stats, judged by newsbot.quality."""
    # Navigation links that listed nothing when walked were not sections after all: the spider
    # counts them apart, and they judge nothing here.
    not_sections = stats.get(keys.STATS_SECTIONS_EMPTY, 0)
    walked = stats.get(keys.STATS_SECTIONS_WALKED, [])
    section_pages = stats.get(keys.STATS_SECTION_PAGES, 0) - not_sections
    links = stats.get(keys.STATS_LISTED_ENTRIES, 0)
    # Every item the spider parsed: a duplicate dropped (a syndicated copy another site of this check
    # saw first) was parsed all the same.
    invalid = stats.get(f"item_dropped_reasons_count/{InvalidItem.__name__}", 0)
    parsed = stats.get(keys.STATS_ITEMS_VALID, 0) + invalid
    failed_pages = keys.stats_under(stats, keys.STATS_SECTION_PAGES_FAILED_PREFIX)
    missing = keys.stats_under(stats, keys.STATS_MISSING_PREFIX)
    # A site that walked a section was reached: a host not reached then is a sister site's (an article
    # it lists). A robots.txt not had (a block page, a reset) stops the site before its home page.
    unreachable = [] if walked else stats.get(keys.STATS_HOSTS_UNREACHABLE, [])
    # Pages the site refused the crawler (block pages, robots.txt) judge no parser: with nothing parsed,
    # the site was not checked.
    refused = {why: n for why, n in (Counter(failed_pages) + Counter(missing)).items() if why in REFUSALS}
    if not unreachable and not walked and stats.get(keys.STATS_ROBOTS_UNREACHABLE):
        unreachable = [f"robots.txt of www.{site.host} could not be had (the log says why): nothing fetched"]
    elif not unreachable and refused and not parsed:
        pages = ", ".join(f"{count} {REFUSALS[why]}" for why, count in refused.items())
        unreachable = [f"the site refused the crawler ({pages}): nothing parsed"]
    figures = {
        "finish_reason": stats.get("finish_reason"),
        "pages_fetched": stats.get("downloader/response_count", 0),
        "download_errors": stats.get("downloader/exception_count", 0),
        "sections_requested": len(walked) - not_sections,
        "section_pages": section_pages,
        "section_pages_empty": stats.get(keys.STATS_SECTION_PAGES_EMPTY, 0) - not_sections,
        "article_links": links,
        "article_links_per_section_page": links / section_pages if section_pages else None,
        "articles_requested": stats.get(keys.STATS_ARTICLES_REQUESTED, 0),
        "articles_parsed": parsed,
        "items_invalid": invalid,
        # Why article links gave no item, as the spider classifies it (not an article, HTTP status, block).
        "articles_missing": missing,
        "section_pages_failed": failed_pages,
        "unreachable": unreachable,
        "sections": {
            "resolved": stats.get(keys.STATS_SECTIONS, []),
            "walked": walked,
            "moved": stats.get(keys.STATS_SECTIONS_MOVED, []),
            "new": stats.get(keys.STATS_SECTIONS_NEW, []),
            "missing": stats.get(keys.STATS_SECTIONS_MISSING, []),
            "healed": stats.get(keys.STATS_SECTIONS_HEALED, 0),
            "not_sections_walked": not_sections,
            "navigation_read": not stats.get(keys.STATS_HOME_FAILED, 0),
        },
    }
    judged = assess_site(figures, stats)
    if unreachable:  # not checked: no verdict, the reasons are the unreachable lines
        judged.update(verdict=None, reasons=[])
    return {"site": site.name, "host": site.host, **judged, **figures}


def render_site(report: dict[str, Any]) -> str:
    """The fixed-width table of one site, from its JSON report (so text and JSON say the same)."""
    per_page, sections = report["article_links_per_section_page"], report["sections"]
    walked = ", ".join(sections["walked"]) or "-"
    lines = [
        f"{report['site']} ({report['host']})",
        f"  pages fetched: {report['pages_fetched']} (robots.txt included), "
        f"download errors: {report['download_errors']}",
        f"  article links per section page: "
        f"{'-' if per_page is None else f'{per_page:.1f}'} "
        f"({report['article_links']} links on {report['section_pages']} section pages, "
        f"{report['section_pages_empty']} listing none)",
        f"  article links followed: {report['articles_requested']}; parsed {report['articles_parsed']}, "
        f"invalid {report['items_invalid']}",
        f"  navigation: {len(sections['resolved'])} section(s); walked: {walked}"
        if sections["navigation_read"]
        else "  navigation: the home page could not be fetched; the declared section URLs were used",
    ]
    lines += [
        f"  section MOVED: {moved['label']} {moved['declared_url']} -> {moved['url']} (fix sites.toml)"
        for moved in sections["moved"]
    ]
    for what, value in (
        ("sections not declared in sites.toml", ", ".join(sections["new"])),
        ("declared sections NOT in the navigation", ", ".join(sections["missing"])),
        ("declared sections found again by label after their URL failed", sections["healed"]),
        ("navigation links that listed no article", sections["not_sections_walked"]),
        ("section pages failed, by reason", _by_reason(report["section_pages_failed"])),
        ("articles missing, by reason", _by_reason(report["articles_missing"])),
    ):
        if value:
            lines.append(f"  {what}: {value}")
    measures = [["measure", "count", "share", "fits at", "broken <", "status"]]
    measures += [_row(measure["label"], measure) for measure in report["run"].values()]
    measures.append(["field filled on (of the valid items)", "", "", "", "", ""])
    measures += [_row(f"  {name}", measure) for name, measure in report["fields"].items()]
    notes = f"parser note (a fallback; degraded above {format_share(NOTE_MAX_SHARE)})"
    measures.append([notes if report["notes"] else "parser notes: none"])
    measures += [_row(f"  {kind}", note) for kind, note in report["notes"].items()]
    return "\n".join(["\n".join(lines), "", *table(measures, "<>>>><", "  "), ""])


def _by_reason(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in counts.items())


def _row(label: str, measure: dict[str, Any]) -> list[str]:
    shares = (measure["share"], measure.get("fits_at"), measure.get("broken_below"))
    shown = ["-" if share is None else format_share(share) for share in shares]
    return [label, f"{measure['count']} of {measure['total']}", *shown, measure["status"] or "not judged"]
