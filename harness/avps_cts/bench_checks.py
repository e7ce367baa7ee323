"""Checks per boot (leaf KTAP results that are not SKIP) and the stability of per-case verdicts over repeated boots."""
from __future__ import annotations

from typing import Iterable

from . import ktap
from .ktap import KtapTest


def _leaves(tests: Iterable[KtapTest], prefix: str = "") -> Iterable[tuple[str, KtapTest]]:
    for t in tests:
        if t.subtests:
            yield from _leaves(t.subtests, f"{prefix}{t.name}/")
        else:
            yield f"{prefix}{t.name}", t


def case_outcomes(lines: list[str]) -> dict[str, str]:
    """Leaf case -> 'ok' | 'not ok' | 'SKIP' | 'ERROR' ...; a cut document keeps its finished results."""
    doc = ktap.parse(lines)
    tests = list(doc.tests) + [t for level in doc.unfinished for t in level]
    out: dict[str, str] = {}
    for name, t in _leaves(tests):
        word = t.directive_word
        out[name] = word if word in ("SKIP", "ERROR", "TIMEOUT") else ("ok" if t.ok else "not ok")
    return out


def checks_per_boot(outcomes: dict[str, str]) -> int:
    """Cases that gave a verdict (pass or fail): SKIP, ERROR and TIMEOUT are not checks."""
    return sum(1 for v in outcomes.values() if v in ("ok", "not ok"))


def stability(runs: list[dict[str, str]]) -> tuple[bool, list[str]]:
    """Whether every run gave every case the same outcome; the differing cases, one line each."""
    names = sorted({n for r in runs for n in r})
    diffs = []
    for n in names:
        seen = [r.get(n, "missing") for r in runs]
        if len(set(seen)) > 1:
            counts = {s: seen.count(s) for s in sorted(set(seen))}
            diffs.append(f"{n}: " + ", ".join(f"{s} x{c}" for s, c in counts.items()))
    return not diffs, diffs
