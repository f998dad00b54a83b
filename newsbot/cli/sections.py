"""`newsbot sections`: the sections each site's home page navigation offers (live, or from a mirror),
resolved against the registry exactly as a crawl resolves them (newsbot.registry.sections): label,
URL, declared in `sites.toml` or not, and the declared URL of a section that moved. This is how a
user keeps `sites.toml` true.

Exit status: 0 when every declared section is in its site's navigation, 1 when one is not (or a home
page could not be read), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from newsbot.cli import add_site_options, mirror_option, site_named
from newsbot.mirror import mirror_url
from newsbot.parsing.navigation import parse_navigation
from newsbot.reasons import unreachable_host
from newsbot.registry import SectionResolution, Site, load_registry, resolve_sections
from newsbot.settings import user_agent

EXIT_DRIFT = 1
FETCH_TIMEOUT = 30.0


class HomePageError(Exception):
    """The home page could not be read."""


class HostUnreachable(Exception):
    """The home page's host cannot be reached at all: the other sites' are unlikely to be, so the
    command stops at once with this one line (newsbot.reasons.unreachable_host)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sections",
        help="list the sections each site's home page navigation offers, against sites.toml",
        description=(
            "Read each site's home page and list the sections its navigation offers: label, URL, "
            "declared in sites.toml or not, and the declared URL of a section that moved. "
            "Exit status: 0 every declared section is in the navigation, 1 one is not (or a home "
            "page could not be read), 2 usage error."
        ),
    )
    add_site_options(parser, " (default: every site)", verb="read", instead_of="text")
    return parser


def run(args: argparse.Namespace) -> int:
    sites = [site_named(name) for name in args.sites] or list(load_registry().sites)
    mirror = mirror_option(args.mirror)
    reports = []
    for site in sites:
        try:
            navigation = parse_navigation(site.home_url, fetch_home(site, mirror))
        except HostUnreachable as error:
            print(f"newsbot sections: {error}", file=sys.stderr)
            return EXIT_DRIFT
        except HomePageError as error:
            reports.append(
                {"site": site.name, "host": site.host, "home_url": site.home_url, "error": str(error)}
            )
            continue
        reports.append(
            site_report(resolve_sections(site, navigation.sections, not_sections=navigation.not_sections))
        )
    status = EXIT_DRIFT if any(r.get("error") or r["missing"] for r in reports) else 0
    if args.json:
        document = {"source": mirror or "live", "exit_status": status, "sites": reports}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(render(report) for report in reports))
    return status


def fetch_home(site: Site, mirror: str) -> bytes:
    """The site's home page, from the mirror if one is given. Raises HomePageError."""
    url = mirror_url(mirror, site.home_url) if mirror else site.home_url
    if url is None:  # pragma: no cover - every registry site is on the network
        raise HomePageError(f"{site.home_url} is not on the network")
    if url.startswith("file://"):
        path = Path(unquote(urlsplit(url).path))
        try:
            return path.read_bytes()
        except OSError as error:
            raise HomePageError(f"{site.home_url}: {path}: {error.strerror or error}") from None
    from scrapy.utils.project import get_project_settings

    request = urllib.request.Request(url, headers={"User-Agent": user_agent(get_project_settings())})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        raise HomePageError(f"{site.home_url} answered HTTP {error.code}") from None
    except (urllib.error.URLError, OSError) as error:
        cause = unreachable_host(getattr(error, "reason", error), urlsplit(url).netloc)
        if cause is not None:
            raise HostUnreachable(cause) from None
        raise HomePageError(f"{site.home_url} could not be fetched: {error}") from None


def site_report(resolution: SectionResolution) -> dict[str, Any]:
    site = resolution.site
    return {
        "site": site.name,
        "host": site.host,
        "home_url": site.home_url,
        "sections": [section.as_dict() for section in resolution.sections],
        "moved": [section.key for section in resolution.moved],
        "new": [section.key for section in resolution.new],
        "missing": [section.key for section in resolution.missing],
        "not_sections": [{"label": link.label, "url": link.url} for link in resolution.not_sections],
    }


def render(report: dict[str, Any]) -> str:
    head = f"{report['site']} ({report['host']})"
    if report.get("error"):
        return f"{head}: home page not read: {report['error']}\n"
    sections = report["sections"]
    lines = [f"{head}: {len(sections)} section(s), navigation of {report['home_url']}"]
    width = max((len(s["label"]) for s in sections), default=0)
    url_width = max((len(s["url"]) for s in sections), default=0)
    for section in sections:
        if not section["declared"]:
            status = "not declared"
        elif section["moved"]:
            status = f"declared, MOVED from {section['declared_url']}"
        elif not section["in_navigation"]:
            status = "declared, NOT in the navigation"
        else:
            status = "declared"
        lines.append(f"  {section['label']:<{width}}  {section['url']:<{url_width}}  {status}")
    if report["not_sections"]:
        lines.append("  not sections: " + ", ".join(link["label"] for link in report["not_sections"]))
    return "\n".join(lines) + "\n"
