"""Traceability: requirement -> test cases -> result, per layer, with coverage figures and a ratchet."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from avps_cts.catalogue.loader import AvpsRequirement, Catalogue, VirtioStatement
from avps_cts.catalogue.suite import SuiteRequirement
from avps_cts.catalogue.vbsa import VbsaRule
from avps_cts.catalogue.verdict import Manifest, requirement_verdicts
from avps_cts.results import RunResult

COVERED = "covered"
NOT_COVERED = "not-covered"
DOCUMENT_ONLY = "document-only"
NOT_OBSERVABLE = "not-observable"  # a VIRTIO statement no case can decide from the guest (catalogue says why)


def unknown_ids(catalogue: Catalogue, manifest: Manifest) -> list[tuple[str, str]]:
    """(case_id, requirement_id) pairs naming an ID that is not in the catalogue, sorted."""
    return sorted({(case, r) for case, reqs in manifest for r in reqs if r not in catalogue})


def build_trace(catalogue: Catalogue, manifest: Manifest, run: RunResult | None = None) -> dict[str, Any]:
    """The matrix as a JSON-ready dict: layers -> requirements (cases, results) and chapter coverage."""
    verdicts = requirement_verdicts(catalogue, manifest, run)
    layers: dict[str, Any] = {}
    for layer, reqs in (("avps", catalogue.avps), ("virtio", catalogue.virtio), ("vbsa", catalogue.vbsa),
                        ("suite", catalogue.suite)):
        if layer in ("vbsa", "suite") and not reqs:
            continue
        rows: list[dict[str, Any]] = []
        chapters: dict[str, dict[str, int]] = {}
        for req in reqs.values():
            v = verdicts[req.id]
            if v.cases:
                cov = COVERED
            elif isinstance(req, (AvpsRequirement, VbsaRule, SuiteRequirement)) and not req.testable:
                cov = DOCUMENT_ONLY
            elif isinstance(req, VirtioStatement) and not req.observable:
                cov = NOT_OBSERVABLE
            else:
                cov = NOT_COVERED
            row: dict[str, Any] = {
                "id": req.id,
                "chapter": req.chapter,
                "coverage": cov,
                "level": v.level,
                "cases": [{"case_id": c, "status": s.value if run else None} for c, s in v.cases],
                "verdict": v.verdict.value if run else None,
            }
            if isinstance(req, AvpsRequirement):
                row.update(title=req.title, verify=req.verify)
            elif isinstance(req, SuiteRequirement):
                row.update(title=req.title, verify=req.verify, related_avps=list(req.related_avps),
                           summary=req.summary, rationale=req.rationale)
            elif isinstance(req, VbsaRule):
                row.update(title=req.title, verify=req.verify, vbsa_level=req.level, avps=list(req.avps),
                           acs_status=req.acs_status, summary=req.summary)
            else:
                row.update(keyword=req.keyword, summary=req.summary)
                if not req.observable:
                    row.update(not_observable=req.reason)
            rows.append(row)
            ch = chapters.setdefault(req.chapter, {"total": 0, COVERED: 0, NOT_COVERED: 0, DOCUMENT_ONLY: 0,
                                                   NOT_OBSERVABLE: 0})
            ch["total"] += 1
            ch[cov] += 1
        totals = {"total": len(rows)}
        for k in (COVERED, NOT_COVERED, DOCUMENT_ONLY, NOT_OBSERVABLE):
            totals[k] = sum(c[k] for c in chapters.values())
        if layer == "virtio":
            must = [r for r in rows if r["keyword"] in ("MUST", "MUST NOT")]
            totals["must_total"] = len(must)
            totals["must_covered"] = sum(1 for r in must if r["coverage"] == COVERED)
            totals["must_not_observable"] = sum(1 for r in must if r["coverage"] == NOT_OBSERVABLE)
        layers[layer] = {"requirements": rows, "chapters": chapters, "totals": totals}
    return {
        "layers": layers,
        "unknown_ids": [{"case_id": c, "id": r} for c, r in unknown_ids(catalogue, manifest)],
        "run": {"target": run.target, "problems": run.problems} if run else None,
    }


def coverage_figures(trace: dict[str, Any]) -> dict[str, Any]:
    """The numbers the ratchet watches: covered counts per layer and per chapter."""
    out: dict[str, Any] = {}
    for layer, d in trace["layers"].items():
        out[layer] = {
            "covered": d["totals"][COVERED],
            "chapters": {ch: c[COVERED] for ch, c in sorted(d["chapters"].items())},
        }
        if "must_covered" in d["totals"]:
            out[layer]["must_covered"] = d["totals"]["must_covered"]
    return out


class RatchetError(AssertionError):
    """Coverage went down compared with requirements/coverage-baseline.json."""


def check_ratchet(current_figures: dict[str, Any], baseline_path: Path | str) -> list[str]:
    """Raise RatchetError if any covered count fell below the baseline; return the improvements
    (figures now above the baseline: raise the baseline with write_baseline to lock them in)."""
    baseline = json.loads(Path(baseline_path).read_text(encoding="utf-8"))
    regressions: list[str] = []
    improvements: list[str] = []

    def cmp(name: str, now: int, before: int) -> None:
        if now < before:
            regressions.append(f"{name}: {now} covered, baseline {before}")
        elif now > before:
            improvements.append(f"{name}: {now} covered, baseline {before}")

    for layer, base in baseline.get("layers", {}).items():
        cur = current_figures.get(layer, {})
        cmp(f"{layer}", cur.get("covered", 0), base.get("covered", 0))
        if "must_covered" in base:
            cmp(f"{layer} MUST", cur.get("must_covered", 0), base["must_covered"])
        for ch, n in base.get("chapters", {}).items():
            cmp(f"{layer} / {ch}", cur.get("chapters", {}).get(ch, 0), n)
    if regressions:
        raise RatchetError("coverage fell below " + str(baseline_path) + ":\n  " + "\n  ".join(regressions))
    return improvements


def write_baseline(current_figures: dict[str, Any], baseline_path: Path | str) -> None:
    data = {
        "comment": "Coverage ratchet: covered counts may only go up. Regenerate with avps_cts.catalogue.trace.write_baseline.",
        "layers": current_figures,
    }
    Path(baseline_path).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def render_markdown(trace: dict[str, Any], *, with_requirements: bool = True) -> str:
    lines: list[str] = ["# Requirement traceability", ""]
    if trace.get("run"):
        lines += [f"Run on target `{trace['run']['target']}`."]
        if trace["run"]["problems"]:
            lines += ["", "Run problems: " + "; ".join(trace["run"]["problems"])]
        lines.append("")
    if trace["unknown_ids"]:
        lines += ["## IDs not in the catalogue", ""]
        lines += [f"- `{u['case_id']}` names `{u['id']}`" for u in trace["unknown_ids"]]
        lines.append("")
    for layer, title, chname in (("avps", "AVPS v2.0 areas", "Area"), ("virtio", "VIRTIO device-side statements", "Device type / chapter"),
                                 ("vbsa", "Arm VBSA 1.0 rules (reported, not gating)", "Rule group"),
                                 ("suite", "Suite-defined platform requirements (not AVPS; reported, not gating)", "Area")):
        if layer not in trace["layers"]:
            continue
        d = trace["layers"][layer]
        t = d["totals"]
        lines += [f"## {title}", "", f"{t[COVERED]} of {t['total']} covered, {t[DOCUMENT_ONLY]} document-only, {t[NOT_COVERED]} not covered."]
        if "must_total" in t:
            lines[-1] += (f" MUST / MUST NOT: {t['must_covered']} of {t['must_total']} covered, "
                          f"{t['must_not_observable']} not observable by a guest.")
        virtio = layer == "virtio"
        lines += ["", f"| {chname} | total | covered | not covered | document-only |" + (" not observable |" if virtio else ""),
                  "|---|---:|---:|---:|---:|" + ("---:|" if virtio else "")]
        for ch, c in sorted(d["chapters"].items()):
            lines.append(f"| {_md_escape(ch)} | {c['total']} | {c[COVERED]} | {c[NOT_COVERED]} | {c[DOCUMENT_ONLY]} |"
                         + (f" {c[NOT_OBSERVABLE]} |" if virtio else ""))
        lines.append("")
        if with_requirements:
            lines += ["| Requirement | Title | Level | Coverage | Test cases | Verdict |", "|---|---|---|---|---|---|"]
            for r in d["requirements"]:
                cases = ", ".join(f"`{c['case_id']}`" + (f" ({c['status']})" if c["status"] else "") for c in r["cases"]) or "—"
                title = r.get("title") or (f"{r.get('keyword', '')}: {r.get('summary', '')}" if r.get("summary") else "")
                level = r["level"] + (f" ({r['keyword']})" if r.get("keyword") else "")
                verdict = r["verdict"] or "— (no run: `make trace RESULTS=reports/<run>`)"
                lines.append(f"| {_md_escape(r['id'])} | {_md_escape(title)} | {level} | {r['coverage']} | {cases} | "
                             f"{verdict} |")
            lines.append("")
    return "\n".join(lines)
