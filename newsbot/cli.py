"""The `newsbot` command: parse saved pages, run the offline demo, manage the item schema."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from newsbot.check import add_check_parser, run_check
from newsbot.item import SCHEMA_RESOURCE, generate_schema, schema_text
from newsbot.parsing.article import ParseError, parse_article
from newsbot.parsing.feed import FeedError, looks_like_feed, parse_feed
from newsbot.sites import load_registry


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newsbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser(
        "parse", help="print the item of saved article pages, or the entries of a feed"
    )
    parse.add_argument("files", nargs="+", type=Path)
    parse.add_argument("--url", help="the page's real URL (default: its og:url, or its wget --mirror path)")

    demo = commands.add_parser("demo", help="crawl the offline snapshot with the real spiders and pipelines")
    demo.add_argument("--out", type=Path, default=Path("newsbot-demo"), help="folder for the JSON Lines")
    demo.add_argument("--snapshot", type=Path, default=None, help="the snapshot folder (default: tests/site)")

    add_check_parser(commands)

    schema = commands.add_parser("schema", help="print, check or rewrite the shipped item JSON Schema")
    group = schema.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the shipped schema from the item class")
    group.add_argument("--check", action="store_true", help="exit 1 when the shipped schema is stale")

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

    args = parser.parse_args(argv)
    if args.command == "parse":
        return _parse(args.files, args.url)
    if args.command == "state":
        return _state(args)
    if args.command == "demo":
        from newsbot.demo import run_demo

        return run_demo(args.out, args.snapshot)
    if args.command == "check":
        return run_check(args)
    return _schema(write=args.write, check=args.check)


def _parse(files: list[Path], url: str | None) -> int:
    status = 0
    for path in files:
        try:
            body = path.read_bytes()
        except OSError as error:
            print(f"newsbot parse: {path}: {error.strerror}", file=sys.stderr)
            status = 1
            continue
        page_url = url or url_from_mirror_path(path)
        try:
            if looks_like_feed(body):
                for entry in parse_feed(page_url or path.resolve().as_uri(), body):
                    _print_json(entry.to_dict())
                continue
            item = parse_article(page_url, body)
        except (ParseError, FeedError) as error:
            print(f"newsbot parse: {path}: {error}", file=sys.stderr)
            status = 1
            continue
        if item is None:
            print(f"newsbot parse: {path}: not an article page", file=sys.stderr)
            status = 1
            continue
        _print_json(item.to_dict())
    return status


def url_from_mirror_path(path: Path) -> str | None:
    """`.../www.spacewar.com/reports/X_999.html` -> `https://www.spacewar.com/reports/X_999.html`."""
    registry = load_registry()
    parts = path.resolve().parts
    for index, part in enumerate(parts[:-1]):
        if part.startswith("www.") and registry.is_network_host(part):
            return "https://" + "/".join(parts[index:])
    return None


def _print_json(data: dict) -> None:
    try:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    except BrokenPipeError:
        # The reader (`head`, say) has what it wanted; that is not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(0) from None


def _state(args: argparse.Namespace) -> int:
    from newsbot.state import SqliteSeenStore, store_path_from_setting

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
    from scrapy.utils.project import get_project_settings

    from newsbot.state import store_path_from_setting

    value = get_project_settings().get("NEWSBOT_STATE")
    return store_path_from_setting(value) if value else None


def _schema(*, write: bool, check: bool) -> int:
    text = schema_text(generate_schema())
    target = Path(__file__).parent / SCHEMA_RESOURCE
    if write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
        return 0
    if check:
        if target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `newsbot schema --write`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
