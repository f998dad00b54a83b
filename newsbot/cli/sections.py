"""`newsbot sections`: the sections resolved from each home page's navigation as a crawl resolves
them (newsbot.registry.sections), against `sites.toml`."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin, urlsplit

from newsbot.cli import mirror_option, project_settings, site_named, table
from newsbot.middlewares.downloader import looks_blocked
from newsbot.mirror import MirrorPathRefused, mirror_url
from newsbot.parsing.navigation import parse_navigation
from newsbot.reasons import unreachable_host
from newsbot.registry import Site, load_registry, resolve_sections
from newsbot.registry.model import fold_name
from newsbot.registry.urls import canonical_url
from newsbot.settings import user_agent

EXIT_DRIFT = 1


def run(args: argparse.Namespace) -> int:
    """List the sections each site's home page navigation offers, against sites.toml: label, URL, declared or
    not, and the declared URL of a section that moved. Exit status: 0 every declared section is in the
    navigation, 1 one is not (or a home page could not be read), 2 usage error."""
    sites = [site_named(name) for name in args.sites] or list(load_registry().sites)
    mirror = mirror_option(args.mirror)
    user_agent_header = {"User-Agent": user_agent(project_settings())}
    reports = []
    for site in sites:
        # The same keys for every site, read or not, for a job that parses them: null where not read.
        unread = dict.fromkeys(("error", "sections", "moved", "renamed", "new", "missing", "not_sections"))
        report: dict[str, Any] = {"site": site.name, "host": site.host, "home_url": site.home_url, **unread}
        reports.append(report)
        url = mirror_url(mirror, site.home_url) if mirror else site.home_url
        assert url is not None  # every registry site is on the network
        redirects = _SiteRedirects(site, mirror)
        try:
            request = urllib.request.Request(url, headers=user_agent_header)
            with urllib.request.build_opener(redirects).open(request, timeout=30) as response:
                page = response.read()
            if looks_blocked(response.status, page):  # a bot check's links are no navigation
                report["error"] = f"{redirects.at} answered a block page (a bot check or access denied)"
                continue
            navigation = parse_navigation(redirects.at, page)
        except urllib.error.HTTPError as failure:
            redirected = "" if redirects.at == site.home_url else f" redirected to {redirects.at}, which"
            report["error"] = f"{site.home_url}{redirected} answered HTTP {failure.code}"
            continue
        except OSError as failure:  # URLError is one
            reason = getattr(failure, "reason", failure)
            if cause := unreachable_host(reason, urlsplit(url).netloc):
                # The other sites' hosts are unlikely to be reached either: stop at once.
                print(f"newsbot sections: {cause}", file=sys.stderr)
                return EXIT_DRIFT
            report["error"] = f"{site.home_url} could not be fetched: {reason}"
            continue
        resolution = resolve_sections(site, navigation.sections, not_sections=navigation.not_sections)
        # A declared section found by slug or page name whose navigation label is another one.
        labels = {link.url: link.label for link in reversed(navigation.sections)}
        report.update(
            sections=[section.as_dict() for section in resolution.sections],
            moved=[section.key for section in resolution.moved],
            renamed={
                section.key: label
                for section in resolution.sections
                if section.declared
                and fold_name(label := labels.get(section.url, section.label)) != fold_name(section.label)
            },
            new=[section.key for section in resolution.new],
            missing=[section.key for section in resolution.missing],
            not_sections=[{"label": link.label, "url": link.url} for link in resolution.not_sections],
        )
    status = EXIT_DRIFT if any(r.get("error") or r["missing"] for r in reports) else 0
    if args.json:
        document = {"source": mirror or "live", "exit_status": status, "sites": reports}
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write("\n".join(render(report) for report in reports))
    return status


class _SiteRedirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect as a crawl does: through the mirror, and only on the site's own host (the
    crawl's offsite rule); `at` is the page's URL on the network."""

    def __init__(self, site: Site, mirror: str) -> None:
        self.host, self.mirror, self.at = f"www.{site.host}", mirror, site.home_url

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        # Resolved against the network URL, as the mirror answers under it (a crawl's handler does so).
        target = urljoin(self.at, headers.get("Location", ""))
        if urlsplit(canonical_url(target)).netloc != self.host:
            fp.close()
            raise OSError(f"redirected to {target}, off the site")
        self.at = target
        try:
            mapped = (mirror_url(self.mirror, target) if self.mirror else None) or target
        except MirrorPathRefused as refused:  # a Location climbing out of the mirror's folder
            raise OSError(str(refused)) from None
        return super().redirect_request(req, fp, code, msg, headers, mapped)


def render(report: dict[str, Any]) -> str:
    head = f"{report['site']} ({report['host']})"
    if report.get("error"):
        return f"{head}: home page not read: {report['error']}\n"
    sections = report["sections"]
    lines = [f"{head}: {len(sections)} section(s), navigation of {report['home_url']}"]
    rows = []
    for section in sections:
        moved = f", MOVED from {section['declared_url']}" if section["moved"] else ""
        missing = "" if section["in_navigation"] else ", NOT in the navigation"
        if label := report["renamed"].get(section["key"]):
            moved += f", labelled {label!r} in the navigation"
        status = f"declared{moved or missing}" if section["declared"] else "not declared"
        rows.append([section["label"], section["url"], status])
    lines += table(rows, "<<<", "  ")
    if report["not_sections"]:
        lines.append("  not sections: " + ", ".join(link["label"] for link in report["not_sections"]))
    return "\n".join(lines) + "\n"
