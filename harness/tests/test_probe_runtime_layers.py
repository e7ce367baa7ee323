"""The probe runtime is layered: the leaf layer (string, console, fatal stop) includes nothing above it, and no include circle exists."""
from __future__ import annotations

import re
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[2] / "guest-tests" / "probe-runtime"
# Leaf layer: what every other part of the runtime may use, and which uses nothing of them.
LEAF = {"base", "cpu", "string", "console", "panic"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_includes() -> dict[str, set[str]]:
    """Module (x.c and x.h together) -> the runtime modules it includes."""
    own = {p.stem for p in RUNTIME.glob("*.[ch]")}
    graph: dict[str, set[str]] = {name: set() for name in own}
    for path in RUNTIME.glob("*.[ch]"):
        for target in INCLUDE.findall(path.read_text()):
            stem = Path(target).stem
            if stem in own and stem != path.stem:
                graph[path.stem].add(stem)
    return graph


def test_leaf_layer_includes_only_leaf_modules() -> None:
    graph = module_includes()
    assert LEAF <= set(graph), f"leaf modules missing: {sorted(LEAF - set(graph))}"
    above = {name: sorted(deps - LEAF) for name, deps in graph.items() if name in LEAF and deps - LEAF}
    assert not above, f"leaf modules include higher layers: {above}"


def test_no_include_circle() -> None:
    graph = module_includes()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                raise AssertionError("include circle: " + " -> ".join(trail + [node, dep]))
            if dep not in state:
                visit(dep, trail + [node])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])


def test_fatal_stop_is_leaf_code() -> None:
    """probe_fatal is defined in the leaf layer, so string.c's stack protector needs nothing above it."""
    definers = [p.name for p in RUNTIME.glob("*.c")
                if re.search(r"^void probe_fatal\(", p.read_text(), re.M)]
    assert definers == ["panic.c"]
