"""Self-contained HTML report an OEM signs off: three-way verdict, chart per area, failures first, evidence, metadata."""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from ..results import CaseResult, RunResult, Status

_COLOUR = {"pass": "#1a7f37", "fail": "#cf222e", "skip": "#6e7781", "error": "#bc4c00", "timeout": "#bc4c00",
           "not-run": "#8250df", "waived": "#9a6700", "not-applicable": "#6e7781", "not-covered": "#8c959f"}
_STYLE = """body{font-family:sans-serif;margin:2em auto;max-width:84em;padding:0 1em;color:#24292f}
table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
td,th{border:1px solid #d0d7de;padding:4px 8px;vertical-align:top;text-align:left;font-size:90%}
th{background:#f6f8fa}.st{font-weight:bold;white-space:nowrap}.num{white-space:nowrap;text-align:right}
details{font-size:88%}code{font-size:90%}pre{white-space:pre-wrap;background:#f6f8fa;padding:6px;margin:4px 0}
.split{display:flex;gap:1em;margin:1em 0}.box{flex:1;border:2px solid;border-radius:6px;padding:.6em 1em}
.box h3{margin:.2em 0}.box .n{font-size:220%;font-weight:bold}.fail{border-color:#cf222e}.fail .n{color:#cf222e}
.gap{border-color:#8c959f}.gap .n{color:#57606a}.waived{border-color:#9a6700}.waived .n{color:#9a6700}
.known{background:#fff8c5;border:1px solid #d4a72c;border-radius:4px;padding:0 4px;font-size:85%;white-space:nowrap}
.broken{background:#ffebe9;border:2px solid #cf222e;padding:.5em 1em;border-radius:6px}
.ev{color:#57606a;font-size:88%}"""


def _status_word(case: CaseResult) -> str:
    return "waived" if case.waived and case.status.is_failure else case.status.value


def _badge(word: str, text: str | None = None) -> str:
    return f"<span class=st style='color:{_COLOUR.get(word, '#24292f')}'>{html.escape(text or word)}</span>"


def _area(req: str) -> str | None:
    match = re.match(r"^AVPS\.([A-Z0-9_]+)\.\d+$", req)
    return match.group(1) if match else None


# Titles by the catalogue files' (path, size, mtime): a control run writes one report per control.
_TITLES: dict[tuple, dict[str, tuple[str, str]]] = {}


def _catalogue_files_key() -> tuple:
    from ..catalogue.loader import DEFAULT_AVPS, DEFAULT_SUITE, DEFAULT_VBSA, DEFAULT_VIRTIO
    key = []
    for path in (DEFAULT_AVPS, DEFAULT_VIRTIO, DEFAULT_VBSA, DEFAULT_SUITE):
        try:
            st = path.stat()
            key.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            key.append((str(path), -1, -1))
    return tuple(key)


def _catalogue_titles() -> dict[str, tuple[str, str]]:
    """Requirement ID -> (title, level) from the catalogue; empty when it cannot be loaded."""
    try:
        key = _catalogue_files_key()
        if key in _TITLES:
            return _TITLES[key]
        from ..catalogue.loader import load_catalogue
        catalogue = load_catalogue()
    except Exception:  # the report must still be written when the catalogue is broken
        return {}
    out = {r.id: (r.title, r.level) for r in catalogue.avps.values()}
    out.update({s.id: (s.summary, catalogue.level_of(s)) for s in catalogue.virtio.values()})
    _TITLES[key] = out
    return out


def chart_svg(rows: list[tuple[str, dict[str, int]]]) -> str:
    """Horizontal stacked bars, one per AVPS area: case results by status (inline SVG, no script)."""
    order = ["fail", "error", "timeout", "not-run", "waived", "pass", "skip"]
    width, bar, left, height = 640, 16, 110, 22
    total_max = max([sum(c.values()) for _, c in rows] + [1])
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' id=area-chart role=img width='{width + left + 60}' "
             f"height='{height * len(rows) + 30}' aria-label='case results per AVPS area'>"]
    for n, (area, counts) in enumerate(rows):
        y = n * height + 4
        parts.append(f"<text x='{left - 6}' y='{y + 12}' text-anchor=end font-size=12>{html.escape(area)}</text>")
        x = float(left)
        for word in order:
            count = counts.get(word, 0)
            if not count:
                continue
            w = width * count / total_max
            parts.append(f"<rect class='bar-{word}' data-area='{html.escape(area)}' x='{x:.1f}' y='{y}' "
                         f"width='{w:.1f}' height='{bar}' fill='{_COLOUR[word]}'><title>{html.escape(area)}: "
                         f"{count} {word}</title></rect>")
            x += w
        parts.append(f"<text x='{x + 4:.1f}' y='{y + 12}' font-size=11 fill='#57606a'>{sum(counts.values())}</text>")
    legend_y = height * len(rows) + 22
    x = left
    for word in order:
        parts.append(f"<rect x='{x}' y='{legend_y - 10}' width=10 height=10 fill='{_COLOUR[word]}'/>"
                     f"<text x='{x + 14}' y='{legend_y}' font-size=11>{word}</text>")
        x += 80
    parts.append("</svg>")
    return "".join(parts)


def area_counts(run: RunResult) -> list[tuple[str, dict[str, int]]]:
    rows: dict[str, dict[str, int]] = {}
    for case in run.cases:
        word = _status_word(case)
        for area in sorted({a for r in case.requirements if (a := _area(r))}):
            counts = rows.setdefault(area, {})
            counts[word] = counts.get(word, 0) + 1
    return sorted(rows.items())


def console_excerpt(case: CaseResult, logs: list[Path]) -> tuple[str, list[str]] | None:
    """The failing case's result line in the console log, with the lines that led to it."""
    local = case.case_id[len(case.program) + 1:] if case.program and case.case_id.startswith(case.program + ".") \
        else case.case_id
    pattern = re.compile(r"not ok \d+ (\S+\.)?" + re.escape(local) + r"\b|" + re.escape(case.case_id))
    for log in logs:
        try:
            lines = log.read_text(errors="replace").splitlines()
        except OSError:
            continue
        for n, line in enumerate(lines):
            if pattern.search(line) and ("not ok" in line or "host-check" in line):
                start = n
                while start > 0 and n - start < 8 and not re.search(r"(^|\s)ok \d+ ", lines[start - 1]):
                    start -= 1
                return log.name, [f"{i + 1:5}: {lines[i]}" for i in range(start, n + 1)]
    return None


def _platform_table(run: RunResult, metadata: dict[str, Any]) -> str:
    e = html.escape
    rows = [("suite revision", metadata.get("suite_revision", "")), ("command", metadata.get("command", "")),
            ("started", run.started), ("duration", f"{run.duration_s} s" if run.duration_s is not None else "")]
    rows += [(f"tool: {k}", v) for k, v in sorted((metadata.get("tools") or {}).items())]
    rows += [(str(k), v) for k, v in sorted(run.platform.items()) if k not in ("boots",)]
    body = "".join(f"<tr><th>{e(str(k))}</th><td>{e(str(v))[:500]}</td></tr>" for k, v in rows if v not in ("", None))
    boots = run.platform.get("boots") or []
    if boots:
        body += "<tr><th>boots</th><td>" + "<br>".join(
            f"{e(str(b.get('image')))}: {b.get('seconds')} s, exit {b.get('exit_code')}" for b in boots) + "</td></tr>"
    return f"<table>{body}</table>"


def _log_file(console_log: str) -> Path | None:
    """The run's console log when it names one file (a report from a captured log); a direct run
    records its boots' logs as a list of names, which is no path (and can be longer than one may be)."""
    try:
        return Path(console_log) if console_log and Path(console_log).is_file() else None
    except OSError:
        return None


def render(run: RunResult, conformance: dict[str, Any] | None = None, folder: Path | None = None,
           metadata: dict[str, Any] | None = None, known: dict[str, str] | None = None,
           checks: dict[str, str] | None = None) -> str:
    """The report page. known: case -> evidence of a known platform non-conformance; checks: case ->
    its one-line contract (what it checks), shown per case."""
    e = html.escape
    known, checks, metadata = known or {}, checks or {}, metadata or {}
    titles = _catalogue_titles()
    logs = sorted(folder.glob("console-*.log")) if folder else []
    given = _log_file(run.console_log)
    if given:
        logs.append(given)
    counts = ", ".join(f"{k}: {v}" for k, v in run.counts().items() if v)
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>avps-cts report: {e(run.target)}</title>"
             f"<style>{_STYLE}</style><body>",
             f"<h1>avps-cts conformance report: {e(run.target)}</h1>",
             f"<p>started {e(run.started)}; cases {e(counts)}; suite {e(str(metadata.get('suite_revision', '?')))}</p>"]
    broken = run.broken_by()
    if broken:
        parts.append("<div class=broken id=broken-run><b>The run broke: these results are no verdict.</b><ul>"
                     + "".join(f"<li>{e(p)}</li>" for p in broken) + "</ul></div>")
    noted = [p for p in run.problems if p not in broken]
    if noted:
        parts.append("<h3>Cases the platform gave no evidence for</h3><ul>"
                     + "".join(f"<li>{e(p)}</li>" for p in noted) + "</ul>")
    conf = conformance or {}
    reqs = {str(r["id"]): r for r in conf.get("requirements", [])}
    failures, gaps = list(conf.get("platform_failures", [])), list(conf.get("suite_gaps", []))
    waived_reqs = list(conf.get("waived", []))
    if conformance:
        colour = "#cf222e" if failures else "#1a7f37" if not gaps else "#57606a"
        parts.append(f"<h2 id=headline style='color:{colour}'>{e(str(conf.get('headline', '')))}</h2>")
        n_known = sum(1 for c in run.cases if c.case_id in known and c.status.is_failure and not c.waived)
        mandatory_gaps = sum(1 for g in gaps if reqs.get(g, {}).get("level") == "mandatory")
        parts.append(
            "<div class=split>"
            f"<div class='box fail' id=platform-failures><h3>Platform failures</h3><div class=n>{len(failures)}</div>"
            "blocking: requirements the platform failed or did not let run to completion"
            + (f"; {n_known} failing case(s) are known platform non-conformances" if n_known else "") + "</div>"
            f"<div class='box gap' id=suite-gaps><h3>Suite gaps</h3><div class=n>{len(gaps)}</div>"
            f"not covered by this suite yet ({mandatory_gaps} mandatory); never blamed on the platform</div>"
            f"<div class='box waived' id=waived><h3>Waived</h3><div class=n>{len(waived_reqs)}</div>"
            f"failures accepted by {int(conf.get('waivers_used', 0))} current waiver(s)</div></div>")
    parts.append("<h2>Results per AVPS area</h2>" + chart_svg(area_counts(run)))

    failing = [c for c in run.cases if c.status.is_failure]
    failing.sort(key=lambda c: (bool(c.waived), c.case_id in known, c.status is Status.NOT_RUN, c.case_id))
    parts.append(f"<h2 id=failures>Failures ({len(failing)})</h2>")
    if failing:
        parts.append("<table><tr><th>case</th><th>status</th><th>requirements</th><th>evidence</th></tr>")
        for c in failing:
            mark = f" <span class=known>known platform non-conformance</span><div class=ev>{e(known[c.case_id])}</div>" \
                if c.case_id in known else ""
            waiver = f"<div class=ev>waived: {e(c.waived)}</div>" if c.waived else ""
            excerpt = console_excerpt(c, logs) if c.status is not Status.NOT_RUN else None
            console = ""
            if excerpt:
                name, lines = excerpt
                href = name if folder and (folder / name).exists() else Path(run.console_log).resolve().as_uri() \
                    if run.console_log and Path(run.console_log).is_absolute() else name
                console = (f"<div class=ev>console: <a href='{e(href)}'>{e(name)}</a></div>"
                           f"<pre class=excerpt>{e(chr(10).join(lines))}</pre>")
            parts.append(f"<tr class=failure><td><code>{e(c.case_id)}</code>{mark}</td>"
                         f"<td>{_badge(_status_word(c), c.status.value + (' (waived)' if c.waived else ''))}</td>"
                         f"<td>{'<br>'.join(e(r) for r in c.requirements)}</td>"
                         f"<td>{e(c.detail)}{waiver}{console}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No case failed.</p>")

    if reqs:
        parts.append(_requirement_tables(reqs, titles, failures, gaps))

    parts.append("<h2>Test cases</h2><table><tr><th>case (and what it checks)</th><th>requirements</th><th>status</th>"
                 "<th class=num>time</th><th>evidence</th></tr>")
    for c in sorted(run.cases, key=lambda c: (not (c.status.is_failure and not c.waived), c.case_id)):
        evidence = e(c.detail)
        if c.diagnostics:
            evidence += "<details><summary>diagnostics</summary><pre>" + e("\n".join(c.diagnostics)) + "</pre></details>"
        t = "" if c.duration_s is None else f"{c.duration_s:.2f}&nbsp;s"
        says = c.checks or checks.get(c.case_id, "")
        says = f"<div class=ev>checks: {e(says)}</div>" if says else ""
        parts.append(f"<tr><td><code>{e(c.case_id)}</code>{says}</td>"
                     f"<td>{'<br>'.join(e(r) for r in c.requirements)}</td>"
                     f"<td>{_badge(_status_word(c), c.status.value + (' (waived)' if c.waived else ''))}</td>"
                     f"<td class=num>{t}</td><td>{evidence}</td></tr>")
    parts.append("</table>")
    if run.waivers:
        parts.append("<h2>Waivers</h2><table><tr><th>waiver</th><th>subject</th><th>until</th><th>who</th>"
                     "<th>reason</th><th>accepted</th></tr>")
        for w in run.waivers:
            subject = f"case {w['case']}" if w.get("case") else f"requirement {w['requirement']}"
            state = _badge("fail", "EXPIRED: accepts nothing") if w["expired"] else e(", ".join(w["matched"]) or "-")
            parts.append(f"<tr><td>{e(w['where'])}</td><td>{e(subject)}</td><td class=st>{e(w['expires'])}</td>"
                         f"<td>{e(w['who'])}</td><td>{e(w['reason'])}</td><td>{state}</td></tr>")
        parts.append("</table>")
    if logs:
        parts.append("<h2>Console logs</h2><ul>" + "".join(
            f"<li><a href='{e(p.name if folder and p.parent == folder else p.resolve().as_uri())}'>{e(p.name)}</a></li>"
            for p in logs) + "</ul>")
    parts.append("<h2>Run metadata and platform</h2>" + _platform_table(run, metadata))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _requirement_tables(reqs: dict[str, dict[str, Any]], titles: dict[str, tuple[str, str]],
                        failures: list[str], gaps: list[str]) -> str:
    e = html.escape

    def row(rid: str, r: dict[str, Any]) -> str:
        title, level = titles.get(rid, ("", str(r.get("level", ""))))
        verdict = str(r.get("verdict", ""))
        word = "waived" if r.get("waived") else verdict
        kind = " (platform failure)" if rid in failures else " (suite gap)" if rid in gaps else ""
        listed = r.get("cases", [])
        tally: dict[str, int] = {}
        for c in listed:
            tally[c["status"]] = tally.get(c["status"], 0) + 1
        bad = [c["case_id"] for c in listed if c["status"] not in ("pass", "skip")]
        cases = " ".join(f"{k} {v}" for k, v in sorted(tally.items())) + (f"; not passing: {e(', '.join(bad))}" if bad else "")
        if listed:
            cases = f"{cases}<details><summary>{len(listed)} case(s)</summary>" + "<br>".join(
                f"{e(c['case_id'])}: {e(c['status'])}" for c in listed) + "</details>"
        return (f"<tr><td><code>{e(rid)}</code></td><td>{e(title)}</td><td>{e(level)}</td>"
                f"<td>{_badge(word, verdict + (' (waived)' if r.get('waived') else '') + kind)}</td>"
                f"<td class=ev>{cases}</td><td class=ev>{e(str(r.get('reason', ''))[:400])}</td></tr>")

    def rank(rid: str) -> tuple[int, str]:
        return (0 if rid in failures else 1 if reqs[rid].get("waived") else 3 if rid in gaps else 2, rid)

    head = "<tr><th>ID</th><th>title</th><th>level</th><th>verdict</th><th>cases</th><th>evidence</th></tr>"
    avps = sorted((r for r in reqs if r.startswith("AVPS.")), key=rank)
    virtio = sorted((r for r in reqs if not r.startswith("AVPS.") and reqs[r].get("cases")), key=rank)
    uncovered = [r for r in reqs if not r.startswith("AVPS.") and not reqs[r].get("cases")]
    return (f"<h2 id=per-area>Per AVPS area ({len(avps)})</h2><table id=area-table>{head}"
            + "".join(row(r, reqs[r]) for r in avps) + "</table>"
            + f"<h2 id=per-requirement>Per VIRTIO statement with cases ({len(virtio)})</h2><table>{head}"
            + "".join(row(r, reqs[r]) for r in virtio) + "</table>"
            + f"<details><summary>{len(uncovered)} VIRTIO statements no case tests yet</summary><table>{head}"
            + "".join(row(r, reqs[r]) for r in sorted(uncovered)) + "</table></details>")


def write(run: RunResult, path: Path, conformance: dict[str, Any] | None = None,
          metadata: dict[str, Any] | None = None, known: dict[str, str] | None = None,
          checks: dict[str, str] | None = None) -> None:
    path.write_text(render(run, conformance, path.parent, metadata, known, checks))
