"""Platform comparison: several runs' results.json in, a requirement x platform and case x platform matrix out (Markdown, HTML)."""
from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path
from typing import Any

_AREA = re.compile(r"^AVPS\.(?P<area>[A-Z0-9_]+)\.\d+$")
_COLOUR = {"pass": "#1a7f37", "fail": "#cf222e", "skip": "#6e7781", "error": "#bc4c00", "timeout": "#bc4c00",
           "not-run": "#8250df", "not-applicable": "#6e7781", "not-covered": "#8c959f", "—": "#8c959f"}
ABSENT = "—"


class CompareError(Exception):
    """A results file is missing or is not an avps-cts results.json."""


@dataclasses.dataclass
class Case:
    status: str
    detail: str
    requirements: list[str]
    diagnostics: list[str]


@dataclasses.dataclass
class PlatformRun:
    """One run as the comparison sees it: a column label, cases and requirement verdicts."""

    label: str
    source: Path
    target: str
    profile: str
    started: str
    duration_s: float | None
    platform: dict[str, Any]
    problems: list[str]
    cases: dict[str, Case]
    verdicts: dict[str, str]  # requirement id -> pass | fail | not-applicable | not-run | not-covered
    conformant: bool | None


def results_path(path: Path) -> Path:
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise CompareError(f"{path}: no such results file (give a report folder or its results.json)")
    return path


def load_run(path: Path) -> PlatformRun:
    source = results_path(path)
    try:
        data = json.loads(source.read_text())
    except ValueError as exc:
        raise CompareError(f"{source}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or "cases" not in data or "target" not in data:
        raise CompareError(f"{source}: not an avps-cts results.json (no 'target'/'cases')")
    platform = data.get("platform") or {}
    profile = str(platform.get("profile", "default"))
    cases = {c["case_id"]: Case(str(c.get("status", "")) + (" (waived)" if c.get("waived") else ""),
                                str(c.get("detail", "")),
                                list(c.get("requirements", [])), list(c.get("diagnostics", [])))
             for c in data["cases"]}
    conformance = data.get("conformance") or {}
    verdicts = {str(r["id"]): str(r.get("verdict", "")) for r in conformance.get("requirements", [])}
    label = str(data["target"]) + ("" if profile == "default" else f"/{profile}")
    return PlatformRun(label=label, source=source, target=str(data["target"]), profile=profile,
                       started=str(data.get("started", "")), duration_s=data.get("duration_s"),
                       platform=platform, problems=list(data.get("problems", [])), cases=cases,
                       verdicts=verdicts, conformant=conformance.get("conformant"))


def unique_labels(runs: list[PlatformRun]) -> None:
    """Two runs of the same target get their report folder's name (then a number) in the label."""
    seen: dict[str, int] = {}
    for run in runs:
        seen[run.label] = seen.get(run.label, 0) + 1
    taken: set[str] = set()
    for run in runs:
        label = run.label if seen[run.label] == 1 else f"{run.label}@{run.source.parent.name}"
        n = 1
        while label in taken:
            n += 1
            label = f"{run.label}#{n}"
        taken.add(label)
        run.label = label


def area_of(requirement: str) -> str | None:
    match = _AREA.match(requirement)
    return match.group("area") if match else None


@dataclasses.dataclass
class Comparison:
    runs: list[PlatformRun]
    case_ids: list[str]
    requirement_ids: list[str]
    case_differences: list[str]
    requirement_differences: list[str]
    areas: list[str]

    def case_status(self, run: PlatformRun, case_id: str) -> str:
        case = run.cases.get(case_id)
        return case.status if case else ABSENT

    def verdict(self, run: PlatformRun, requirement: str) -> str:
        return run.verdicts.get(requirement, ABSENT)

    def area_cases(self, area: str) -> list[str]:
        return [c for c in self.case_ids if any(area_of(r) == area for r in self._requirements(c))]

    def _requirements(self, case_id: str) -> list[str]:
        for run in self.runs:
            if case_id in run.cases:
                return run.cases[case_id].requirements
        return []

    def area_summary(self, run: PlatformRun, area: str) -> str:
        """'verdict (pass/total cases)' for one AVPS area on one platform."""
        reqs = [r for r in self.requirement_ids if area_of(r) == area]
        verdicts = sorted({self.verdict(run, r) for r in reqs} - {ABSENT})
        cases = [run.cases[c] for c in self.area_cases(area) if c in run.cases]
        passed = sum(c.status == "pass" for c in cases)
        counts = f"{passed}/{len(cases)} pass" if cases else "no cases"
        return f"{'/'.join(verdicts) or ABSENT} ({counts})"


def compare(runs: list[PlatformRun]) -> Comparison:
    if not runs:
        raise CompareError("nothing to compare: give at least one results.json")
    unique_labels(runs)
    case_ids = sorted({c for run in runs for c in run.cases})
    # AVPS areas always; VIRTIO statements only where some platform has a verdict beyond not-covered.
    all_reqs = {r for run in runs for r in run.verdicts}
    requirement_ids = sorted(r for r in all_reqs if r.startswith("AVPS.") or any(
        run.verdicts.get(r) not in (None, "not-covered") for run in runs))
    case_diff = [c for c in case_ids if len({run.cases[c].status if c in run.cases else ABSENT
                                             for run in runs}) > 1]
    req_diff = [r for r in requirement_ids if len({run.verdicts.get(r, ABSENT) for run in runs}) > 1]
    areas = sorted({a for r in requirement_ids if (a := area_of(r))})
    return Comparison(runs, case_ids, requirement_ids, case_diff, req_diff, areas)


def platform_name(run: PlatformRun) -> str:
    """What the run booted on, from its platform facts: the hypervisor, else the QEMU version."""
    facts = run.platform
    if facts.get("hypervisor"):
        return f"{facts['hypervisor']} on QEMU {facts.get('qemu_version', '?')}"
    if facts.get("qemu_version"):
        return f"QEMU {facts['qemu_version']} {facts.get('machine', '')}".strip()
    return str(facts.get("source", ""))


def _evidence(case: Case | None) -> str:
    if case is None:
        return "not in this run"
    text = case.detail or "; ".join(case.diagnostics[:2])
    return " ".join(text.split())[:220]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(cmp: Comparison) -> str:
    labels = [r.label for r in cmp.runs]
    head = "| " + " | ".join(["", *labels]) + " |\n|" + "---|" * (len(labels) + 1)
    out = ["# avps-cts platform comparison", "",
           "| platform | what ran | source | started | run time | cases | conformant |",
           "|---|---|---|---|---|---|---|"]
    for run in cmp.runs:
        counts: dict[str, int] = {}
        for case in run.cases.values():
            counts[case.status] = counts.get(case.status, 0) + 1
        shown = " ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        out.append(f"| {run.label} | {_md_cell(platform_name(run))} | `{run.source}` | {run.started} | "
                   f"{run.duration_s if run.duration_s is not None else '?'} s | {shown} | "
                   f"{'yes' if run.conformant else 'no' if run.conformant is not None else '?'} |")
    out += ["", "## Differences", ""]
    if not cmp.case_differences and not cmp.requirement_differences:
        out.append("No differences: every case and requirement has the same result on every platform.")
    if cmp.case_differences:
        out += [f"### Cases ({len(cmp.case_differences)} differ)", "", head]
        for case_id in cmp.case_differences:
            out.append("| " + " | ".join([f"`{case_id}`", *[cmp.case_status(r, case_id) for r in cmp.runs]]) + " |")
        out += ["", "Evidence, per platform:", ""]
        for case_id in cmp.case_differences:
            out.append(f"- `{case_id}`")
            for run in cmp.runs:
                out.append(f"    - {run.label}: **{cmp.case_status(run, case_id)}** — "
                           f"{_md_cell(_evidence(run.cases.get(case_id)))}")
    if cmp.requirement_differences:
        out += ["", f"### Requirements ({len(cmp.requirement_differences)} differ)", "", head]
        for req in cmp.requirement_differences:
            out.append("| " + " | ".join([_md_cell(req), *[cmp.verdict(r, req) for r in cmp.runs]]) + " |")
    out += ["", "## Per AVPS area", "", head]
    for area in cmp.areas:
        out.append("| " + " | ".join([area, *[cmp.area_summary(r, area) for r in cmp.runs]]) + " |")
    out += ["", "## Requirement × platform", "", head]
    for req in cmp.requirement_ids:
        out.append("| " + " | ".join([_md_cell(req), *[cmp.verdict(r, req) for r in cmp.runs]]) + " |")
    out += ["", "## Case × platform", "", head]
    for case_id in cmp.case_ids:
        out.append("| " + " | ".join([f"`{case_id}`", *[cmp.case_status(r, case_id) for r in cmp.runs]]) + " |")
    problems = [(r.label, p) for r in cmp.runs for p in r.problems]
    if problems:
        out += ["", "## Run problems", ""] + [f"- {label}: {_md_cell(p)}" for label, p in problems]
    return "\n".join(out) + "\n"


_STYLE = """body{font-family:sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #d0d7de;padding:3px 8px;vertical-align:top;text-align:left;font-size:88%}
th{background:#f6f8fa}td.s{font-weight:bold;white-space:nowrap}tr.diff td:first-child{border-left:4px solid #cf222e}
.ev{font-size:85%;color:#57606a}"""


def _cell(status: str, evidence: str = "") -> str:
    colour = _COLOUR.get(status.split(" ")[0], "#24292f")
    ev = f"<div class=ev>{html.escape(evidence)}</div>" if evidence else ""
    return f"<td class=s style='color:{colour}'>{html.escape(status)}{ev}</td>"


def render_html(cmp: Comparison) -> str:
    e = html.escape
    head = "<tr><th></th>" + "".join(f"<th>{e(r.label)}</th>" for r in cmp.runs) + "</tr>"
    parts = [f"<!doctype html><meta charset=utf-8><title>avps-cts comparison</title><style>{_STYLE}</style>",
             "<h1>avps-cts platform comparison</h1><table><tr><th>platform</th><th>what ran</th><th>source</th><th>started</th>"
             "<th>run time</th><th>conformant</th></tr>"]
    for run in cmp.runs:
        conf = "yes" if run.conformant else "no" if run.conformant is not None else "?"
        parts.append(f"<tr><td>{e(run.label)}</td><td>{e(platform_name(run))}</td><td><code>{e(str(run.source))}</code></td>"
                     f"<td>{e(run.started)}</td>"
                     f"<td>{run.duration_s} s</td><td>{conf}</td></tr>")
    parts.append("</table><h2>Differences</h2>")
    if cmp.case_differences:
        parts.append(f"<h3>Cases ({len(cmp.case_differences)} differ), with each platform's evidence</h3><table>{head}")
        for case_id in cmp.case_differences:
            cells = "".join(_cell(cmp.case_status(r, case_id), _evidence(r.cases.get(case_id))) for r in cmp.runs)
            parts.append(f"<tr class=diff><td><code>{e(case_id)}</code></td>{cells}</tr>")
        parts.append("</table>")
    if cmp.requirement_differences:
        parts.append(f"<h3>Requirements ({len(cmp.requirement_differences)} differ)</h3><table>{head}")
        for req in cmp.requirement_differences:
            parts.append(f"<tr class=diff><td>{e(req)}</td>" + "".join(_cell(cmp.verdict(r, req)) for r in cmp.runs)
                         + "</tr>")
        parts.append("</table>")
    if not cmp.case_differences and not cmp.requirement_differences:
        parts.append("<p>No differences.</p>")
    parts.append(f"<h2>Per AVPS area</h2><table>{head}")
    for area in cmp.areas:
        parts.append(f"<tr><td>{e(area)}</td>" + "".join(_cell(cmp.area_summary(r, area)) for r in cmp.runs) + "</tr>")
    parts.append(f"</table><h2>Requirement × platform</h2><table>{head}")
    for req in cmp.requirement_ids:
        row_class = " class=diff" if req in cmp.requirement_differences else ""
        parts.append(f"<tr{row_class}><td>{e(req)}</td>" + "".join(_cell(cmp.verdict(r, req)) for r in cmp.runs)
                     + "</tr>")
    parts.append(f"</table><h2>Case × platform</h2><table>{head}")
    for case_id in cmp.case_ids:
        row_class = " class=diff" if case_id in cmp.case_differences else ""
        parts.append(f"<tr{row_class}><td><code>{e(case_id)}</code></td>"
                     + "".join(_cell(cmp.case_status(r, case_id)) for r in cmp.runs) + "</tr>")
    parts.append("</table>")
    problems = [(r.label, p) for r in cmp.runs for p in r.problems]
    if problems:
        parts.append("<h2>Run problems</h2><ul>" + "".join(f"<li>{e(l)}: {e(p)}</li>" for l, p in problems) + "</ul>")
    return "\n".join(parts) + "\n"


def to_json(cmp: Comparison) -> dict[str, Any]:
    return {"platforms": [{"label": r.label, "source": str(r.source), "target": r.target, "profile": r.profile,
                           "started": r.started, "duration_s": r.duration_s, "conformant": r.conformant}
                          for r in cmp.runs],
            "case_differences": {c: {r.label: cmp.case_status(r, c) for r in cmp.runs} for c in cmp.case_differences},
            "requirement_differences": {q: {r.label: cmp.verdict(r, q) for r in cmp.runs}
                                        for q in cmp.requirement_differences},
            "cases": {c: {r.label: cmp.case_status(r, c) for r in cmp.runs} for c in cmp.case_ids},
            "requirements": {q: {r.label: cmp.verdict(r, q) for r in cmp.runs} for q in cmp.requirement_ids}}


def write(cmp: Comparison, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "compare.md", folder / "compare.html", folder / "compare.json"]
    written[0].write_text(markdown(cmp))
    written[1].write_text(render_html(cmp))
    written[2].write_text(json.dumps(to_json(cmp), indent=1) + "\n")
    return written
