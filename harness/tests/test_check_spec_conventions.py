"""check-spec reads specs in several labelling conventions, says which one, and counts MUST/SHALL/SHOULD/MAY alike."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from avps_cts.catalogue import load_catalogue
from avps_cts.catalogue.check_spec import detect_convention, keyword_counts, main, match_spec, parse_spec_text

DATA = Path(__file__).parent / "data" / "spec"


@pytest.mark.parametrize("name, convention, keywords, labels", [
    ("conv-bracketed.md", "bracketed", {"MUST": 1, "SHALL": 0, "SHOULD": 1, "MAY": 1},
     {"AVPS.STORAGE.1": ["PLT-STO-001", "PLT-STO-002"], "AVPS.WATCHDOG.1": ["PLT-WDT-001"]}),
    ("conv-braced.txt", "braced", {"MUST": 1, "SHALL": 1, "SHOULD": 1, "MAY": 0},
     {"AVPS.CONSOLE.1": ["VP.CON.1", "VP.CON.2"], "AVPS.RNG.1": ["VP.RNG.1"]}),
    ("conv-numbered.txt", "numbered", {"MUST": 2, "SHALL": 0, "SHOULD": 1, "MAY": 1},
     {"AVPS.RNG.1": [None, None, None], "AVPS.INPUT.1": [None]}),
    ("conv-table.md", "table", {"MUST": 1, "SHALL": 0, "SHOULD": 1, "MAY": 1},
     {"AVPS.WATCHDOG.1": ["WD-01", "WD-02"], "AVPS.AUDIO.1": ["AUD-1"]}),
    ("clean.txt", "prefixed", {"MUST": 25, "SHALL": 0, "SHOULD": 6, "MAY": 1}, None),
])
def test_each_convention_is_detected_and_counted(name: str, convention: str, keywords: dict[str, int],
                                                 labels: dict[str, list[str | None]] | None) -> None:
    sections = parse_spec_text((DATA / name).read_text())
    assert detect_convention(sections)[0] == convention
    assert keyword_counts(sections) == keywords
    if labels is not None:
        result = match_spec(load_catalogue().avps, sections)
        assert {k: [s.label for s in v] for k, v in result.matches.items()} == labels
        assert not result.unmatched_statements


def test_discussion_is_still_not_a_requirement() -> None:
    texts = [s.text for sec in parse_spec_text((DATA / "conv-braced.txt").read_text()) for s in sec.statements]
    assert not any("discussion" in t for t in texts) and len(texts) == 3


def test_statement_split_over_lines_is_one_statement() -> None:
    sections = parse_spec_text((DATA / "conv-numbered.txt").read_text())
    texts = [s.text for sec in sections for s in sec.statements]
    assert "The entropy device SHOULD answer a request without a long delay." in texts


def test_cli_says_which_convention(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(DATA / "conv-table.md")]) == 1  # most catalogue entries are not in this short text
    out = capsys.readouterr().out
    assert out.startswith("convention detected: tables") and "MUST 1, SHALL 0, SHOULD 1, MAY 1" in out
    main([str(DATA / "conv-bracketed.md"), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["convention"] == "bracketed" and data["keywords"]["MAY"] == 1
    assert {s["keyword"] for v in data["matches"].values() for s in v} == {"MUST", "SHOULD", "MAY"}
