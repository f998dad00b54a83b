"""`newsbot state`: show or forget what the seen-articles store holds."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from scrapy.utils.project import get_project_settings

from newsbot.registry import Registry, load_registry
from newsbot.store import LedgerEntry, LedgerStore, SqliteSeenStore, StoreError, store_path_from_setting


def add_parser(commands: Any) -> None:
    state = commands.add_parser("state", help="show or forget what the seen-articles store holds")
    state.add_argument(
        "--path", type=Path, default=None, help="the store (default: NEWSBOT_STATE or its default)"
    )
    state.add_argument("--json", action="store_true", help="print the summary as JSON")
    forget = state.add_mutually_exclusive_group()
    forget.add_argument("--forget-site", metavar="SITE", help="forget every article of a site (name or host)")
    forget.add_argument(
        "--forget-section",
        metavar="NAME",
        help="forget a section, by slug or label (with --site, or --all-sites for every site)",
    )
    forget.add_argument("--forget-all", action="store_true", help="forget everything")
    state.add_argument("--site", help="with --forget-section: only this site")
    state.add_argument("--all-sites", action="store_true", help="with --forget-section: of every site")
    state.add_argument("--redis", metavar="URL", help="a cluster's store in Redis (its NEWSBOT_REDIS_URL)")


def run(args: argparse.Namespace) -> int:
    return _state(args)


def _state(args: argparse.Namespace) -> int:
    if args.forget_section and not (args.site or args.all_sites):
        print(
            "newsbot state: --forget-section needs --site SITE, or --all-sites to forget it on every site",
            file=sys.stderr,
        )
        return 2
    store: Any  # SqliteSeenStore, or the cluster's RedisSeenStore
    path: Any
    if args.redis:
        from newsbot.cluster.store import RedisSeenStore, redacted

        store, path = RedisSeenStore(args.redis), redacted(args.redis)
    else:
        path = args.path or _store_path_from_project_settings() or store_path_from_setting(None)
        if not path.exists():
            print(f"newsbot state: no store at {path} yet (nothing has been written)", file=sys.stderr)
            return 1
        try:
            store = SqliteSeenStore(path)
        except StoreError as error:
            print(f"newsbot state: {error}", file=sys.stderr)
            return 2
    registry = load_registry()
    try:
        if args.forget_site or args.forget_section or args.forget_all:
            site = args.forget_site or (args.site if not args.all_sites else None)
            host = registry.site(site).host if site else None
            labels = _section_labels(registry, args.forget_section, host) if args.forget_section else [None]
            forgotten = sum(store.forget(site=host, section=label) for label in labels)
            sections = ", ".join(label for label in labels if label)
            what = "everything" if args.forget_all else " ".join(filter(None, [host, sections]))
            print(f"forgot {forgotten} article(s) of {what} in {path}, and their ledger entries")
            return 0
        rows = store.summary()
        counts = store.counts()
        ledger = store if isinstance(store, LedgerStore) else None
        entries = ledger.ledger_entries() if ledger is not None else []
        if args.json:
            data = {
                "path": str(path),
                **counts,
                "sections": [row.__dict__ for row in rows],
                "ledger": _ledger_rows(entries),
                "ledger_counts": ledger.ledger_counts() if ledger is not None else {},
            }
            print(json.dumps(data, indent=2))
            return 0
        print(f"{path}: {counts['articles']} articles written, {counts['copies']} syndicated copies skipped")
        print(f"{'site':<24} {'section':<24} {'articles':>8}  {'newest date':<11}  last written")
        for row in rows:
            print(
                f"{row.site:<24} {row.section or '-':<24} {row.articles:>8}  "
                f"{row.newest_date or '-':<11}  {row.last_seen}"
            )
        if entries:
            print(f"\nLedger (articles listed but not had): {len(entries)}")
            print(f"{'site':<24} {'section':<24} {'pending':>7} {'given up':>8}  reasons")
            for ledger_row in _ledger_rows(entries):
                reasons = ", ".join(f"{reason} {n}" for reason, n in ledger_row["reasons"].items())
                print(
                    f"{ledger_row['site']:<24} {ledger_row['section'] or '-':<24} "
                    f"{ledger_row['pending']:>7} {ledger_row['given_up']:>8}  {reasons}"
                )
        return 0
    except KeyError as error:
        print(f"newsbot state: {error.args[0]}", file=sys.stderr)
        return 2
    except StoreError as error:  # Redis did not answer within its bounded retries
        print(f"newsbot state: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _section_labels(registry: Registry, name: str, host: str | None) -> list[str]:
    """The labels a section name (slug or label, any case) stands for, on one site or on all.

    A name no registry site declares is taken as a label as it is: sections found in a site's
    navigation are stored under their label too.
    """
    sites = [registry.site(host)] if host else list(registry.sites)
    labels = {section.label for site in sites if (section := site.section(name)) is not None}
    return sorted(labels) or [name]


def _ledger_rows(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str | None], list[LedgerEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.site, entry.section), []).append(entry)
    return [
        {
            "site": site,
            "section": section,
            "pending": sum(not e.given_up for e in group),
            "given_up": sum(e.given_up for e in group),
            "reasons": dict(sorted(Counter(e.reason for e in group).items())),
            "urls": sorted(e.url for e in group),
        }
        for (site, section), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    ]


def _store_path_from_project_settings() -> Path | None:
    """NEWSBOT_STATE as `scrapy crawl` would see it in this folder (scrapy.cfg and settings)."""
    value = get_project_settings().get("NEWSBOT_STATE")
    return store_path_from_setting(value) if value else None
