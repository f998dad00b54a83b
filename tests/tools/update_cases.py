"""Rewrite every `tests/cases/<layout>/*/expected.json` from the current parser.

    python -m tests.tools.update_cases          # rewrite, then review with `git diff tests/cases`
    python -m tests.tools.update_cases --check  # exit 1 and list the cases whose output changed

The point is the diff: a parser change shows, field by field, what it does to every saved page.
"""

from __future__ import annotations

import argparse
import sys

from tests.cases_support import all_cases, expected_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any case differs")
    args = parser.parse_args(argv)
    changed = []
    for case in all_cases():
        text = expected_text(case.parse())
        old = case.expected_path.read_text(encoding="utf-8") if case.expected_path.exists() else None
        if text != old:
            changed.append(case.id)
            if not args.check:
                case.expected_path.write_text(text, encoding="utf-8")
    verb = "differ" if args.check else "rewritten"
    print(f"{len(changed)} case(s) {verb}" + (": " + ", ".join(changed) if changed else ""))
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
