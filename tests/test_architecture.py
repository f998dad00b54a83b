"""The shape of the package: no import cycle (function-level imports included), no module so long
that it is several modules in one, and the rooms' dependencies pointing one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import newsbot

PACKAGE_ROOT = Path(newsbot.__file__).parent
MAX_MODULE_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module -> the newsbot modules it imports, anywhere in its body."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base])
                    base = base.strip(".")
                # `from package import module` names a module; `from module import name` the module.
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle() -> None:
    assert find_cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_over_the_line_limit() -> None:
    long = {
        name: lines
        for name, path in _modules().items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_parsers_know_nothing_of_scrapy() -> None:
    """Extraction is separate from crawling: page parsers are tested from saved pages alone."""
    modules = _modules()
    for name, path in modules.items():
        if name.startswith("newsbot.parsing"):
            source = path.read_text(encoding="utf-8")
            assert "import scrapy" not in source and "from scrapy" not in source, name


def room(module: str) -> str:
    """A module's room: the package under newsbot it lives in, or the top-level module itself."""
    return module.split(".")[1] if "." in module else module


def test_no_two_rooms_import_each_other() -> None:
    """Rooms show the flow: registry, spiders, parsing, middlewares, pipelines, extensions, store,
    cluster, cli. An import both ways between two of them is one room split in two, or a cycle."""
    edges = {
        (room(module), room(target))
        for module, targets in import_graph().items()
        for target in targets
        if room(module) != room(target)
    }
    assert sorted((a, b) for a, b in edges if (b, a) in edges and a < b) == []


def test_no_component_is_stashed_on_the_crawler() -> None:
    """Components find each other with crawler.get_extension() and friends, not private attributes."""
    for name, path in _modules().items():
        assert "crawler._newsbot" not in path.read_text(encoding="utf-8"), name


def test_a_plain_crawls_add_ons_import_no_cluster_engine():
    """The project's add-ons load in every `scrapy crawl`; redis and scrapy-redis only in a cluster's."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, newsbot.settings; from scrapy.utils.misc import load_object; "
            "[load_object(path) for path in newsbot.settings.ADDONS]; "
            "print(sorted({'redis', 'scrapy_redis'} & set(sys.modules)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
