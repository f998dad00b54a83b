"""`newsbot state`: show or forget what the seen-articles store holds, and the deliveries it counts on."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from typing import Any

from newsbot.cli import CommandError, project_settings, site_named, table
from newsbot.delivery import missing_deliveries
from newsbot.registry import load_registry
from newsbot.store.base import Forgotten, LedgerEntry, StoreError, store_path_from_setting
from newsbot.store.sqlite import SqliteSeenStore


def run(args: argparse.Namespace) -> int:
    """Show or forget what the seen-articles store holds. Per site and section, with its ledger of articles
    listed but not had; forgetting some of it makes the next run fetch it again (it says what it forgets
    and asks first, or takes --yes)."""
    if args.forget_section and not (args.site or args.all_sites):
        raise CommandError("--forget-section needs --site SITE, or --all-sites to forget it on every site")
    if args.redis is not None and not args.redis.strip():  # `--redis "$REDIS"`, unset: not the local store
        raise CommandError("--redis '': empty; give the cluster's NEWSBOT_REDIS_URL")
    store: Any  # SqliteSeenStore, or the Redis store
    path: Any
    if not args.redis:  # NEWSBOT_STATE as `scrapy crawl` sees it in this folder (scrapy.cfg, settings)
        path = args.path or store_path_from_setting(project_settings().get("NEWSBOT_STATE") or None)
        if not path.exists():
            print(f"newsbot state: no store at {path} yet (nothing has been written)", file=sys.stderr)
            return 1
    try:
        if args.redis:
            from newsbot.store.redis import RedisSeenStore, redacted

            store, path = RedisSeenStore(args.redis), redacted(args.redis)
        else:
            store = SqliteSeenStore(path)
    except StoreError as error:
        raise CommandError(str(error)) from None
    try:
        if args.forget_site or args.forget_section or args.forget_all:
            return _forget(store, path, args)
        summary = _summary(store, path)
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            _print_table(summary)
        if missing := summary["missing_deliveries"]:
            print(
                f"newsbot state: {len(missing)} deliveries ({sum(missing.values())} articles) are not where "
                "they were written: fine if a consumer took them; if deleted to start over, the next run "
                "will not fetch those articles again unless forgotten first (--forget-site, --forget-all)",
                file=sys.stderr,
            )
        return 0
    except StoreError as error:  # Redis did not answer within its bounded retries
        print(f"newsbot state: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()


def _forget(store: Any, path: Any, args: argparse.Namespace) -> int:
    """Say what the forget options forget, ask on a terminal (or take --yes), then forget it."""
    name = args.forget_site or (args.site if not args.all_sites else None)
    sites = [site_named(name)] if name else load_registry().sites
    host = sites[0].host if name else None
    labels = None
    if section := args.forget_section:  # a slug or a label, any case; one no site declares: a label as given
        labels = sorted({found.label for site in sites if (found := site.section(section))}) or [section]
    what = host or "every site"
    what = "everything" if args.forget_all else f"{', '.join(labels)} of {what}" if labels else what
    plan = store.forget(site=host, sections=labels, dry_run=True)
    # The site's walks go with a section's articles, not with a section it has none of (misspelt).
    if plan == Forgotten(0, 0, 0) or (labels and not plan.articles and not plan.ledger):
        print(f"Nothing to forget of {what} in {path}.")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(f"would forget {_counts(plan, what, path)}; no terminal to ask: add --yes")
        print(f"This forgets {_counts(plan, what, path)}; the next run fetches and writes them again.")
        print("Forget them? [y/N] ", end="", flush=True)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):  # at the end of input: ""
            print("Nothing forgotten.")
            return 1
    print(f"forgot {_counts(store.forget(site=host, sections=labels), what, path)}")
    return 0


def _counts(forgotten: Forgotten, what: str, path: Any) -> str:
    entries = "entry" if forgotten.ledger == 1 else "entries"
    return (
        f"{forgotten.articles} article(s), {forgotten.walks} section walk(s) and {forgotten.ledger} "
        f"ledger {entries} of {what} in {path}"
    )


def _summary(store: Any, path: Any) -> dict[str, Any]:
    deliveries = dict(sorted(store.articles_by_delivery().items()))
    return {
        "path": str(path),
        **store.counts(),
        "deliveries": deliveries,
        "missing_deliveries": missing_deliveries(deliveries),
        "sections": [row.__dict__ for row in store.summary()],
        "ledger": _ledger_rows(store.ledger_entries()),
    }


def _print_table(summary: dict[str, Any]) -> None:
    print(
        f"{summary['path']}: {summary['articles']} articles written, "
        f"{summary['copies']} syndicated copies skipped"
    )
    rows = [["site", "section", "articles", "newest date", "last written"]]
    rows += [
        [row["site"], row["section"] or "-", row["articles"], row["newest_date"] or "-", row["last_seen"]]
        for row in summary["sections"]
    ]
    print(*table(rows, "<<><<"), sep="\n")
    if summary["deliveries"]:
        rows = [["articles", "delivery"]]
        for delivery, articles in summary["deliveries"].items():
            gone = "  (not there any more)" if delivery in summary["missing_deliveries"] else ""
            rows.append([articles, f"{delivery}{gone}"])
        print("", *table(rows, "><"), sep="\n")
    if ledger := summary["ledger"]:
        print(f"\nLedger (articles listed but not had): {sum(len(row['urls']) for row in ledger)}")
        rows = [["site", "section", "pending", "given up", "reasons"]]
        for row in ledger:
            reasons = ", ".join(f"{reason} {n}" for reason, n in row["reasons"].items())
            rows.append([row["site"], row["section"] or "-", row["pending"], row["given_up"], reasons])
        print(*table(rows, "<<>><"), sep="\n")


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
