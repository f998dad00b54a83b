"""Part 1, extraction: newsbot's article parser beside trafilatura and newspaper4k.

The same decoded HTML string and URL go to every tool (decoding is done once, up front, with
newsbot's decoder, so no tool is charged for it). Quality is scored against
tests/site/manifest.json, the snapshot generator's own record of every article.

A bare `lxml.html.fromstring` of the same pages runs in the same interleaved passes: the floor of
any lxml-based parser, reported as a yardstick. The one floor newsbot keeps is at least 10x
trafilatura's pages/s (a floor, not a target: a parse is far under 1% of a polite crawl). Run this
stage alone with `python -m bench --only extraction`.
"""

from __future__ import annotations

import contextlib
import cProfile
import importlib.metadata
import importlib.util
import io
import json
import pstats
import re
import socket
import time
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    MANIFEST,
    NOT_INSTALLED_HINT,
    SNAPSHOT,
    Options,
    Section,
    fmt,
    measure,
    median,
    ratio,
    share,
    spread,
)

QUICK_PAGES = 5
LABELS = ("pages/s", "title", "date", "body exact", "body F1")


@dataclass(frozen=True)
class Page:
    url: str
    html: str  # decoded once, handed to every tool as is
    title: str
    date: str | None
    body: str


@dataclass(frozen=True)
class Extracted:
    title: str | None
    date: str | None  # YYYY-MM-DD
    body: str | None


@dataclass
class Tool:
    name: str
    version: str
    extract: Callable[[str, str], Extracted] | None  # None: not installed
    setup: str = ""
    scored: bool = True  # False: a yardstick that extracts nothing (the bare parse)


def load_pages(limit: int | None = None) -> list[Page]:
    from newsbot.parsing.encoding import decode_html

    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    pages = []
    for article in manifest["articles"][:limit]:
        path = SNAPSHOT / article["url"].split("://", 1)[1]
        pages.append(
            Page(
                url=article["url"],
                html=decode_html(path.read_bytes()).text,
                title=article["title"],
                date=article["date_published"],
                body="\n\n".join(article["paragraphs"]),
            )
        )
    return pages


# --- the tools ---------------------------------------------------------------------------------


def newsbot_tool() -> Tool:
    from newsbot.parsing.article import parse_article

    def extract(url: str, html: str) -> Extracted:
        item = parse_article(url, html)
        if item is None:
            return Extracted(None, None, None)
        return Extracted(item.title, item.date_published, item.body)

    return Tool("newsbot", _version("newsbot"), extract, "`parse_article(url, html)`")


def bare_lxml_tool() -> Tool:
    import lxml.html

    nothing = Extracted(None, None, None)

    def extract(url: str, html: str) -> Extracted:
        lxml.html.fromstring(html)
        return nothing

    return Tool(
        "lxml.html.fromstring",
        _version("lxml"),
        extract,
        "`lxml.html.fromstring(html)`: the parse alone, nothing extracted (the yardstick)",
        scored=False,
    )


def trafilatura_tool() -> Tool:
    if importlib.util.find_spec("trafilatura") is None:
        return Tool("trafilatura", "", None)
    import trafilatura

    def extract(url: str, html: str) -> Extracted:
        found = trafilatura.extract(html, url=url, output_format="json", with_metadata=True)
        if not found:
            return Extracted(None, None, None)
        data = json.loads(found)
        return Extracted(data.get("title"), (data.get("date") or "")[:10] or None, data.get("text"))

    return Tool(
        "trafilatura",
        _version("trafilatura"),
        extract,
        "`extract(html, url=url, output_format='json', with_metadata=True)`, defaults otherwise",
    )


def newspaper_tool() -> Tool:
    if importlib.util.find_spec("newspaper") is None:
        return Tool("newspaper4k", "", None)
    with warnings.catch_warnings():
        # Without nltk it warns that its NLP features (keywords, summary) are off: not used here.
        warnings.simplefilter("ignore")
        import newspaper

    config = newspaper.Config()
    config.fetch_images = False  # it would download pictures to rank the top image
    config.memorize_articles = False
    config.disable_category_cache = True
    config.follow_meta_refresh = False

    def extract(url: str, html: str) -> Extracted:
        article = newspaper.Article(url, config=config)
        article.download(input_html=html)  # no download: the HTML is given
        article.parse()
        published = article.publish_date
        return Extracted(article.title, published.date().isoformat() if published else None, article.text)

    return Tool(
        "newspaper4k",
        _version("newspaper4k"),
        extract,
        "`Article(url, config)`, `download(input_html=html)`, `parse()`; fetch_images off",
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "?"


@contextlib.contextmanager
def no_network() -> Iterator[list[str]]:
    """Refuse every outgoing connection while the tools run, and record who tried."""
    attempts: list[str] = []
    original = socket.socket.connect

    def refuse(sock: socket.socket, address: object) -> None:
        attempts.append(repr(address))
        raise OSError("network disabled by the benchmark")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        socket.socket.connect = original  # type: ignore[method-assign]


# --- scoring -----------------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\xa0": " "}
)
_WORD = re.compile(r"\w+")


def normalise(text: str | None) -> str:
    """NFKC, straight quotes and dashes, white space collapsed: typography and layout do not count."""
    return " ".join(unicodedata.normalize("NFKC", text or "").translate(_TYPOGRAPHY).split())


def token_f1(found: str | None, expected: str) -> float:
    predicted = Counter(_WORD.findall((found or "").lower()))
    gold = Counter(_WORD.findall(expected.lower()))
    common = sum((predicted & gold).values())
    if not predicted and not gold:
        return 1.0
    if not common:
        return 0.0
    precision, recall = common / sum(predicted.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class Score:
    title: int = 0
    date: int = 0
    body: int = 0
    f1: float = 0.0
    pages: int = 0
    wrong_dates: Counter[str | None] = field(default_factory=Counter)


def score(pages: list[Page], results: list[Extracted]) -> Score:
    s = Score(pages=len(pages))
    for page, found in zip(pages, results, strict=True):
        s.title += normalise(found.title) == normalise(page.title)
        s.date += found.date == page.date
        if found.date != page.date:
            s.wrong_dates[found.date] += 1
        s.body += normalise(found.body) == normalise(page.body)
        s.f1 += token_f1(found.body, page.body)
    s.f1 /= max(1, len(pages))
    return s


# --- the stage ---------------------------------------------------------------------------------


def run(options: Options) -> Section:
    pages = load_pages(QUICK_PAGES if options.quick else None)
    seconds = 0.2 if options.quick else options.seconds
    tools = [newsbot_tool(), trafilatura_tool(), newspaper_tool(), bare_lxml_tool()]
    ready = [tool for tool in tools if tool.extract is not None]

    with no_network() as attempts:
        scores: dict[str, Score] = {}
        for tool in ready:  # the warm-up pass, also the one that is scored
            assert tool.extract is not None
            scores[tool.name] = score(pages, [tool.extract(p.url, p.html) for p in pages])

        def one_pass(extract: Callable[[str, str], Extracted]) -> Callable[[], int]:
            def go() -> int:
                for page in pages:
                    extract(page.url, page.html)
                return len(pages)

            return go

        rates = measure(
            {tool.name: one_pass(tool.extract) for tool in ready if tool.extract},
            seconds=seconds,
            min_passes=1 if options.quick else 2,
        )

    section = Section(
        "extraction",
        f"1. Extraction: {len(pages)} snapshot article pages",
        ["tool", "version", "pages/s", "ms/page", "title", "date", "body exact", "body F1", "passes"],
    )
    for tool in tools:
        if tool.extract is None:
            section.rows.append(
                [tool.name, "not installed", "-", "-", "-", "-", "-", "-", f"`{NOT_INSTALLED_HINT}`"]
            )
            continue
        s, r = scores[tool.name], median(rates[tool.name])
        if not tool.scored:
            section.rows.append(
                [tool.name, tool.version, fmt(r), fmt(1000 / r), *["-"] * 4, _passes(rates[tool.name])]
            )
            continue
        section.rows.append(
            [
                tool.name,
                tool.version,
                fmt(r),
                fmt(1000 / r),
                share(s.title, s.pages),
                share(s.date, s.pages),
                share(s.body, s.pages),
                f"{s.f1:.3f}",
                _passes(rates[tool.name]),
            ]
        )
    base = median(rates["newsbot"])
    for tool in ready[1:]:
        other = median(rates[tool.name])
        if tool.scored:
            goal = " (floor: at least 10x)" if tool.name == "trafilatura" else ""
            section.ratios.append(
                f"newsbot extracts {ratio(base, other)} as many pages/s as {tool.name}{goal}"
            )
        else:
            assert ready[0].extract is not None and tool.extract is not None
            paired = paired_time_ratios(
                pages, ready[0].extract, tool.extract, passes=3 if options.quick else 15
            )
            section.ratios.append(
                f"newsbot takes {fmt(median(paired))}x the time per page of a bare {tool.name} of the same "
                f"pages, page by page side by side (passes: {len(paired)}, range {spread(paired)}; "
                f"from the medians of the table: {ratio(other, base)}) (a yardstick, no goal)"
            )
    section.notes += [
        "pages/s: median over passes of every page, tools interleaved pass by pass; passes column: "
        "count (range of pages/s). One process, one core: bound by the CPU cost of each tool's HTML "
        "parse and heuristics; the input is decoded once beforehand (newsbot's decoder) and given as "
        "the same string and URL to every tool.",
        "title/date/body exact: pages where the field equals the manifest after NFKC, straight quotes "
        "and dashes, and collapsed white space (date: the same YYYY-MM-DD, or both none); body F1: "
        "mean token F1 (lowercase \\w+ tokens) of the body against the manifest's paragraphs.",
    ]
    section.notes += [f"{tool.name}: {tool.setup}" for tool in ready]
    for tool in ready:
        wrong = scores[tool.name].wrong_dates.most_common(2) if tool.scored else []
        if wrong:
            section.notes.append(
                f"{tool.name} dates that differ: "
                + ", ".join(f"{date or 'none found'} on {count} page(s)" for date, count in wrong)
            )
    section.notes.append(
        f"network: every connection refused during the stage; attempts: {len(attempts)}"
        + (f" ({', '.join(sorted(set(attempts))[:3])})" if attempts else "")
    )
    if options.profile:
        section.profile = profile(pages, ready[0])
    return section


def paired_time_ratios(
    pages: list[Page],
    first: Callable[[str, str], Extracted],
    second: Callable[[str, str], Extracted],
    *,
    passes: int,
) -> list[float]:
    """Per pass, the time `first` takes over all pages divided by the time `second` takes, the two
    run on each page one right after the other: a burst of load on the shared machine hits both
    alike, where separate passes of unequal length let the quicker tool catch more quiet moments."""
    ratios = []
    for _ in range(passes):
        spent_first = spent_second = 0.0
        for page in pages:
            start = time.perf_counter()
            first(page.url, page.html)
            middle = time.perf_counter()
            second(page.url, page.html)
            spent_first += middle - start
            spent_second += time.perf_counter() - middle
        ratios.append(spent_first / spent_second if spent_second else float("nan"))
    return ratios


def _passes(rates: list[float]) -> str:
    return f"{len(rates)} ({spread(rates)})".replace(" ()", "")


def profile(pages: list[Page], tool: Tool) -> str:
    """cProfile of newsbot over every page, plus a wall-clock split by parser stage."""
    assert tool.extract is not None
    out = io.StringIO()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        for page in pages:
            tool.extract(page.url, page.html)
    profiler.disable()
    stats = pstats.Stats(profiler, stream=out)
    out.write("newsbot parse_article, 5 passes, by own time:\n")
    stats.sort_stats("tottime").print_stats(15)
    out.write("by cumulative time:\n")
    stats.sort_stats("cumulative").print_stats(20)
    out.write(stage_split(pages, tool))
    return _trim(out.getvalue())


def stage_split(pages: list[Page], tool: Tool) -> str:
    """Wall time inside each step of newsbot's parse_article (inclusive), without profiler overhead."""
    import newsbot.parsing.article as article
    from newsbot.parsing.article.layouts import LAYOUTS

    # (owner, name): the module parse_article looks its helpers up in, and the layout's fields.
    targets: list[tuple[object, str]] = [
        (article, name) for name in ("decode_html", "Page", "choose_layout", "parse_byline", "content_hash")
    ] + [
        (LAYOUTS[-1], name)
        for name in ("url", "title", "section", "byline", "paragraphs", "images", "related_links")
    ]  # fmt: skip
    spent = {name: 0.0 for _, name in targets}
    originals = {(owner, name): getattr(owner, name) for owner, name in targets}

    def timed(name: str, function: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start

        return wrapper

    passes = 20
    try:
        for (owner, name), function in originals.items():
            setattr(owner, name, timed(name, function))
        start = time.perf_counter()
        for _ in range(passes):
            for page in pages:
                tool.extract(page.url, page.html)  # type: ignore[misc]
        total = time.perf_counter() - start
    finally:
        for (owner, name), function in originals.items():
            setattr(owner, name, function)
    per_page = 1e6 / (passes * len(pages))
    lines = [f"\nwall time by step (inclusive, us/page; total {total * per_page:.0f} us/page):"]
    for name in sorted(spent, key=lambda n: -spent[n]):
        lines.append(f"  {name:<24} {spent[name] * per_page:8.1f}  {100 * spent[name] / total:5.1f}%")
    return "\n".join(lines) + "\n"


def _trim(text: str) -> str:
    root = str(Path(__file__).resolve().parents[1]) + "/"
    return "\n".join(line.rstrip() for line in text.replace(root, "").splitlines() if line.strip()) + "\n"
