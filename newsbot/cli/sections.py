"""`newsbot sections`: the sections resolved from each home page's navigation as a crawl resolves
them (newsbot.registry.sections), against `sites.toml`."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from newsbot.cli import mirror_option, project_settings, site_named
from newsbot.mirror import mirror_url
from newsbot.parsing.navigation import parse_navigation
from newsbot.reasons import unreachable_host
from newsbot.registry import SectionResolution, Site, load_registry, resolve_sections
from newsbot.settings import user_agent

EXIT_DRIFT = 1
FETCH_TIMEOUT = 30.0


class HomePageError(Exception):
    pass


class HostUnreachable(Exception):
    """The other sites' hosts are unlikely to be reached either: the command stops at once."""


def run(args: argparse.Namespace) -> int:
    """List the sections each site's home page navigation offers, against sites.toml: label, URL, declared or
    not, and the declared URL of a section that moved. Exit status: 0 every declared section is in the
    navigation, 1 one is not (or a home page could not be read), 2 usage error."""
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
    """The site's home page, from the mirror (http:// or file://) if one is given."""
    url = mirror_url(mirror, site.home_url) if mirror else site.home_url
    assert url is not None  # every registry site is on the network
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(project_settings())})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError as error:
        raise HomePageError(f"{site.home_url} answered HTTP {error.code}") from None
    except OSError as error:  # URLError is one
        reason = getattr(error, "reason", error)
        if cause := unreachable_host(reason, urlsplit(url).netloc):
            raise HostUnreachable(cause) from None
        raise HomePageError(f"{site.home_url} could not be fetched: {reason}") from None


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
