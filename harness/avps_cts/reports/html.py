"""Self-contained HTML report for people: verdict, run problems, cases with requirement IDs and evidence."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ..results import RunResult, Status

_COLOUR = {Status.PASS: "#1a7f37", Status.FAIL: "#cf222e", Status.SKIP: "#6e7781", Status.ERROR: "#bc4c00",
           Status.TIMEOUT: "#bc4c00", Status.NOT_RUN: "#8250df"}
_STYLE = """body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;width:100%}
td,th{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left;font-size:90%}
th{background:#f6f8fa}.st{font-weight:bold}details{font-size:85%}code{font-size:90%}"""


def render(run: RunResult, conformance: dict[str, Any] | None = None) -> str:
    e = html.escape
    counts = ", ".join(f"{k}: {v}" for k, v in run.counts().items() if v)
    parts = [f"<!doctype html><meta charset=utf-8><title>avps-cts {e(run.target)}</title><style>{_STYLE}</style>",
             f"<h1>avps-cts: {e(run.target)}</h1><p>started {e(run.started)}, {counts}</p>"]
    if conformance:
        verdict = "conformant" if conformance.get("conformant") else "NOT conformant"
        colour = "#1a7f37" if conformance.get("conformant") else "#cf222e"
        parts.append(f"<h2 style='color:{colour}'>{verdict}</h2>")
        blocking = conformance.get("blocking", [])
        if blocking:
            parts.append(f"<details><summary>{len(blocking)} blocking requirements</summary><ul>")
            verdicts = conformance.get("verdicts", {})
            for req in blocking:
                v = verdicts.get(req, {})
                parts.append(f"<li><code>{e(req)}</code>: {e(str(v.get('verdict', '')))} "
                             f"— {e(str(v.get('reason', ''))[:300])}</li>")
            parts.append("</ul></details>")
    if run.problems:
        parts.append("<h2>Problems with the run</h2><ul>" + "".join(f"<li>{e(p)}</li>" for p in run.problems) + "</ul>")
    parts.append("<h2>Platform</h2><table>" + "".join(
        f"<tr><th>{e(str(k))}</th><td>{e(str(v))[:400]}</td></tr>" for k, v in sorted(run.platform.items())
        if k != "boots") + "</table>")
    parts.append("<h2>Test cases</h2><table><tr><th>test</th><th>requirements</th><th>status</th>"
                 "<th>time</th><th>evidence</th></tr>")
    for c in run.cases:
        reqs = "<br>".join(e(r) for r in c.requirements)
        evidence = e(c.detail)
        if c.diagnostics:
            evidence += "<details><summary>diagnostics</summary><pre>" + e("\n".join(c.diagnostics)) + "</pre></details>"
        t = "" if c.duration_s is None else f"{c.duration_s:.2f} s"
        checks = f"<br><small>checks: {e(c.checks)}</small>" if c.checks else ""
        parts.append(f"<tr><td><code>{e(c.case_id)}</code>{checks}</td><td>{reqs}</td>"
                     f"<td class=st style='color:{_COLOUR[c.status]}'>{c.status.value}</td><td>{t}</td>"
                     f"<td>{evidence}</td></tr>")
    parts.append("</table>")
    return "\n".join(parts) + "\n"


def write(run: RunResult, path: Path, conformance: dict[str, Any] | None = None) -> None:
    path.write_text(render(run, conformance))
