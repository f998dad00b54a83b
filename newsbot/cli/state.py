"""`newsbot state`: show or forget what the seen-articles store holds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scrapy.utils.project import get_project_settings

from newsbot.registry import load_registry
from newsbot.store import SqliteSeenStore, store_path_from_setting


def add_parser(commands: Any) -> None:
    state = commands.add_parser("state", help="show or forget what the seen-articles store holds")
    state.add_argument(
        "--path", type=Path, default=None, help="the store (default: NEWSBOT_STATE or its default)"
    )
    state.add_argument("--json", action="store_true", help="print the summary as JSON")
    forget = state.add_mutually_exclusive_group()
    forget.add_argument("--forget-site", metavar="SITE", help="forget every article of a site (name or host)")
    forget.add_argument(
        "--forget-section", metavar="LABEL", help="forget a section (with --site: of one site)"
    )
    forget.add_argument("--forget-all", action="store_true", help="forget everything")
    state.add_argument("--site", help="with --forget-section: only this site")
    state.add_argument("--redis", metavar="URL", help="a cluster's store in Redis (its NEWSBOT_REDIS_URL)")


def run(args: argparse.Namespace) -> int:
    return _state(args)


def _state(args: argparse.Namespace) -> int:
    if args.redis:
        from newsbot.cluster.connection import redacted_url
        from newsbot.store.redis import RedisSeenStore

        store, path = RedisSeenStore(args.redis), redacted_url(args.redis)
    else:
        path = args.path or _store_path_from_project_settings() or store_path_from_setting(None)
        if not path.exists():
            print(f"newsbot state: no store at {path} yet (nothing has been written)", file=sys.stderr)
            return 1
        store = SqliteSeenStore(path)
    registry = load_registry()
    try:
        if args.forget_site or args.forget_section or args.forget_all:
            site = args.forget_site or args.site
            host = registry.site(site).host if site else None
            forgotten = store.forget(site=host, section=args.forget_section)
            what = "everything" if args.forget_all else " ".join(filter(None, [host, args.forget_section]))
            print(f"forgot {forgotten} article(s) of {what} in {path}")
            return 0
        rows = store.summary()
        counts = store.counts()
        if args.json:
            data = {"path": str(path), **counts, "sections": [row.__dict__ for row in rows]}
            print(json.dumps(data, indent=2))
            return 0
        print(f"{path}: {counts['articles']} articles written, {counts['copies']} syndicated copies skipped")
        print(f"{'site':<24} {'section':<24} {'articles':>8}  {'newest date':<11}  last written")
        for row in rows:
            print(
                f"{row.site:<24} {row.section or '-':<24} {row.articles:>8}  "
                f"{row.newest_date or '-':<11}  {row.last_seen}"
            )
        return 0
    except KeyError as error:
        print(f"newsbot state: {error.args[0]}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _store_path_from_project_settings() -> Path | None:
    """NEWSBOT_STATE as `scrapy crawl` would see it in this folder (scrapy.cfg and settings)."""
    value = get_project_settings().get("NEWSBOT_STATE")
    return store_path_from_setting(value) if value else None
