"""JUnit XML for CI systems: one testsuite per program, one testcase per case, requirement IDs as properties."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import RunResult, Status


def to_xml(run: RunResult) -> ET.Element:
    suites = ET.Element("testsuites", name=f"avps-cts {run.target}")
    by_program: dict[str, list] = {}
    for case in run.cases:
        by_program.setdefault(case.program or "run", []).append(case)
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for program, cases in by_program.items():
        counts = {
            "tests": len(cases),
            "failures": sum(c.status is Status.FAIL and not c.waived for c in cases),
            "errors": sum(c.status in (Status.ERROR, Status.TIMEOUT, Status.NOT_RUN) and not c.waived for c in cases),
            "skipped": sum(c.status is Status.SKIP or bool(c.waived and c.status.is_failure) for c in cases),
        }
        suite = ET.SubElement(suites, "testsuite", name=program, **{k: str(v) for k, v in counts.items()})
        for k in total:
            total[k] += counts[k]
        for case in cases:
            classname, _, name = case.case_id.rpartition(".")
            tc = ET.SubElement(suite, "testcase", classname=classname or program, name=name,
                               time=f"{case.duration_s or 0:.3f}")
            props = ET.SubElement(tc, "properties")
            if case.checks:
                ET.SubElement(props, "property", name="checks", value=case.checks)
            for req in case.requirements:
                ET.SubElement(props, "property", name="requirement", value=req)
            body = "\n".join(case.diagnostics)
            if case.waived and case.status.is_failure:
                # Accepted by a waiver: a CI gate must not stop on it, and it must not read as a pass.
                ET.SubElement(props, "property", name="waiver", value=case.waived)
                ET.SubElement(tc, "skipped", message=f"waived {case.status.value}: {case.detail} [{case.waived}]")
            elif case.status is Status.FAIL:
                ET.SubElement(tc, "failure", message=case.detail or "failed").text = body
            elif case.status in (Status.ERROR, Status.TIMEOUT, Status.NOT_RUN):
                ET.SubElement(tc, "error", type=case.status.value,
                              message=case.detail or case.status.value).text = body
            elif case.status is Status.SKIP:
                ET.SubElement(tc, "skipped", message=case.detail or "skipped")
    if run.problems:
        suite = ET.SubElement(suites, "testsuite", name="harness", tests="1", failures="0", errors="1",
                              skipped="0")
        tc = ET.SubElement(suite, "testcase", classname="harness", name="run_integrity", time="0")
        ET.SubElement(tc, "error", type="run", message=run.problems[0]).text = "\n".join(run.problems)
        total["tests"] += 1
        total["errors"] += 1
    for k, v in total.items():
        suites.set(k, str(v))
    return suites


def write(run: RunResult, path: Path) -> None:
    tree = ET.ElementTree(to_xml(run))
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
