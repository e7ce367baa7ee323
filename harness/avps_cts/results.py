"""Result data model shared by the KTAP parser, targets, verdicts and report writers."""
from __future__ import annotations

import dataclasses
import enum
from typing import Any


EXIT_BAD_INPUT = 2  # a bad option or input file: nothing ran
EXIT_BROKEN_RUN = 3  # the run broke (hang, crash, cut log...): results kept, no verdict


class Status(str, enum.Enum):
    """Outcome of one test case. A missing result is never a pass."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"  # condition absent; detail says which
    ERROR = "error"  # the test itself broke
    TIMEOUT = "timeout"
    NOT_RUN = "not-run"  # expected (manifest) but never reported: crash, hang, cut log

    @property
    def is_failure(self) -> bool:
        return self in (Status.FAIL, Status.ERROR, Status.TIMEOUT, Status.NOT_RUN)


@dataclasses.dataclass
class CaseResult:
    """One test case: stable dotted ID, requirement IDs from the manifest, status and evidence."""

    case_id: str
    status: Status
    requirements: list[str] = dataclasses.field(default_factory=list)
    detail: str = ""
    diagnostics: list[str] = dataclasses.field(default_factory=list)
    duration_s: float | None = None
    program: str = ""  # the test binary or probe that reported it
    checks: str = ""  # the case contract: what the case checks (from its declaration)
    waived: str = ""  # a failure accepted by a waiver: "file:line, until DATE: reason (who)"

    @property
    def counts_as_failure(self) -> bool:
        """A failure nobody accepted: waived failures are reported but do not fail the run."""
        return self.status.is_failure and not self.waived

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["status"] = self.status.value
        return d


@dataclasses.dataclass
class RunResult:
    """Everything one run produced: cases plus what the harness noticed about the run itself."""

    target: str
    cases: list[CaseResult] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)  # hang, panic, garbage, missing plan...
    platform: dict[str, Any] = dataclasses.field(default_factory=dict)  # facts: qemu version, profile, kernel
    started: str = ""
    duration_s: float | None = None
    console_log: str = ""
    waivers: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # each waiver and what it matched

    @property
    def ok(self) -> bool:
        """True when the run itself completed cleanly and no case failed (waived failures aside)."""
        return not self.problems and not any(c.counts_as_failure for c in self.cases)

    def exit_status(self) -> int:
        """0: every case passed; 1: a verdict, some case failed; 3: the run itself broke (problems),
        so its results are kept but are no verdict. 2 is left for bad input (nothing ran)."""
        if self.broken_by():
            return EXIT_BROKEN_RUN
        return 1 if any(c.counts_as_failure for c in self.cases) else 0

    def broken_by(self) -> list[str]:
        """The problems that break the run. A problem about one named case that is reported as
        not-run (e.g. a host-judged case the platform gave no evidence for) is that case's
        verdict, already counted as a failure, not a broken run."""
        not_run = {c.case_id for c in self.cases if c.status is Status.NOT_RUN}

        def about_a_not_run_case(problem: str) -> bool:
            parts = problem.split(": ", 2)
            return parts[0] in not_run or (len(parts) > 2 and parts[1] in not_run)

        return [p for p in self.problems if not about_a_not_run_case(p)]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for c in self.cases:
            out[c.status.value] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "started": self.started,
            "duration_s": self.duration_s,
            "platform": self.platform,
            "problems": self.problems,
            "counts": self.counts(),
            "console_log": self.console_log,
            "waivers": self.waivers,
            "cases": [c.to_json() for c in self.cases],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RunResult":
        run = cls(
            target=data["target"],
            problems=list(data.get("problems", [])),
            platform=dict(data.get("platform", {})),
            started=data.get("started", ""),
            duration_s=data.get("duration_s"),
            console_log=data.get("console_log", ""),
            waivers=list(data.get("waivers", [])),
        )
        for c in data.get("cases", []):
            run.cases.append(
                CaseResult(
                    case_id=c["case_id"],
                    status=Status(c["status"]),
                    requirements=list(c.get("requirements", [])),
                    detail=c.get("detail", ""),
                    diagnostics=list(c.get("diagnostics", [])),
                    duration_s=c.get("duration_s"),
                    program=c.get("program", ""),
                    checks=c.get("checks", ""),
                    waived=c.get("waived", ""),
                )
            )
        return run
