"""Xen console demultiplexer: split lines rejoined, interleaved domains kept apart, focus (raw) lines, Xen's own lines."""
from __future__ import annotations

from avps_cts.ktap import parse
from avps_cts.targets.xen.console import XEN_CHUNK, ConsoleLine, XenConsoleDemux


def _feed(demux: XenConsoleDemux, raw: list[str]) -> list[ConsoleLine]:
    out: list[ConsoleLine] = []
    for line in raw:
        out += demux.feed(line)
    return out + demux.flush()


def _split(domid: int, text: str, guest_cr: bool = True) -> list[str]:
    """What Xen 4.17 prints for one domU line: pieces of XEN_CHUNK bytes of guest output
    (a Linux guest's own CR included), then the rest, each ended by Xen's CR."""
    data = text + ("\r" if guest_cr else "")
    pieces = [data[i:i + XEN_CHUNK] for i in range(0, len(data), XEN_CHUNK)]
    if len(data) % XEN_CHUNK == 0:
        pieces.append("")
    return [f"(XEN) DOM{domid}: {p}\r" for p in pieces]


def test_plain_domain_lines_keep_their_indentation() -> None:
    got = _feed(XenConsoleDemux({1}), ["(XEN) DOM1: KTAP version 1", "(XEN) DOM1:     ok 1 psci.version\r"])
    assert got == [ConsoleLine(1, "KTAP version 1"), ConsoleLine(1, "    ok 1 psci.version")]


def test_long_line_split_by_xen_is_rejoined() -> None:
    long = "    # guest-tests/virtio/rng.c:62:entropy_not_constant:Expected 0 (0) != read_hwrng(first, sizeof(first), err, sizeof(err)) (0)"
    assert len(long) > XEN_CHUNK
    got = _feed(XenConsoleDemux({1}), _split(1, long))
    assert got == [ConsoleLine(1, long)]


def test_pieces_as_measured_on_xen_4_17() -> None:
    """Two lines exactly as Xen 4.17.7 printed them (bytes up to each line feed)."""
    first = "    # guest-tests/virtio/rng.c:62:entropy_not_constant:Expected 0 (0) != read_hwrng(first, sizeof(first), err, sizeof(err)) (0"
    second = "    # guest-tests/virtio/rng.c:79:monobit_and_runs:Expected 0 (0) != read_hwrng(sample, sizeof(sample), err, sizeof(err)) (0)"
    raw = [f"(XEN) DOM1: {first}\r", "(XEN) DOM1: )\r\r", f"(XEN) DOM1: {second}\r\r", "(XEN) DOM1: \r",
           "(XEN) DOM1:     not ok 4 global.monobit_and_runs\r\r"]
    got = _feed(XenConsoleDemux({1}), raw)
    assert [g.text for g in got] == [first + ")", second, "    not ok 4 global.monobit_and_runs"]


def test_line_of_exactly_one_chunk_takes_the_empty_piece_after_it() -> None:
    exact = "x" * XEN_CHUNK
    raw = _split(1, exact, guest_cr=False) + ["(XEN) DOM1: next\r"]
    assert raw[1] == "(XEN) DOM1: \r"
    got = _feed(XenConsoleDemux({1}), raw)
    assert got == [ConsoleLine(1, exact), ConsoleLine(1, "next")]
    # Xen may strip the trailing blank of the empty piece.
    got = _feed(XenConsoleDemux({1}), [raw[0], "(XEN) DOM1:", "(XEN) DOM1: next"])
    assert got == [ConsoleLine(1, exact), ConsoleLine(1, "next")]


def test_very_long_line_in_three_pieces() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(3 * XEN_CHUNK - 5))
    assert _feed(XenConsoleDemux({2}), _split(2, text)) == [ConsoleLine(2, text)]


def test_interleaved_domains_with_a_split_line_in_between() -> None:
    long1 = "    # " + "a" * 200
    p1 = _split(1, long1)
    raw = [p1[0], "(XEN) DOM2: KTAP version 1", "(XEN) d2v0 Unhandled SMC/HVC: 0x84000050", p1[1],
           "(XEN) DOM2: 1..1", "(XEN) DOM1: ok 1 done"]
    got = _feed(XenConsoleDemux({1, 2}), raw)
    assert [g for g in got if g.domain == 1] == [ConsoleLine(1, long1), ConsoleLine(1, "ok 1 done")]
    assert [g.text for g in got if g.domain == 2] == ["KTAP version 1", "1..1"]
    assert [g.text for g in got if g.domain is None] == ["d2v0 Unhandled SMC/HVC: 0x84000050"]


def test_focused_domain_prints_raw_lines() -> None:
    demux = XenConsoleDemux({1, 2})
    raw = ["(XEN) *** Serial input to DOM0 (type 'CTRL-a' three times to switch input)",
           "noise before any domU has the focus",
           "(XEN) *** Serial input to DOM2 (type 'CTRL-a' three times to switch input)",
           "    ok 3 raw.line",
           "(XEN) DOM1: prefixed still",
           "(XEN) *** Serial input to Xen (type 'CTRL-a' three times to switch input)",
           "after xen took it"]
    got = _feed(demux, raw)
    assert ConsoleLine(2, "    ok 3 raw.line") in got
    assert ConsoleLine(1, "prefixed still") in got
    assert ConsoleLine(None, "noise before any domU has the focus") in got
    assert ConsoleLine(None, "after xen took it") in got
    assert demux.focus is None


def test_unknown_domain_focus_is_not_trusted() -> None:
    demux = XenConsoleDemux({1})
    got = _feed(demux, ["(XEN) *** Serial input to DOM7 (type 'CTRL-a' three times to switch input)", "raw"])
    assert got[-1] == ConsoleLine(None, "raw")


def test_cut_piece_is_flushed_at_the_end() -> None:
    demux = XenConsoleDemux({1})
    assert demux.feed("(XEN) DOM1: " + "z" * XEN_CHUNK + "\r") == []
    assert demux.flush() == [ConsoleLine(1, "z" * XEN_CHUNK)]


def test_demultiplexed_stream_parses_as_ktap() -> None:
    doc_lines = ["KTAP version 1", "1..2", "ok 1 first", "# " + "d" * 300, "not ok 2 second"]
    raw = []
    for line in doc_lines:
        raw += _split(1, line)
        raw.append("(XEN) DOM2: interleaved other domain")
    lines = [c.text for c in _feed(XenConsoleDemux({1, 2}), raw) if c.domain == 1]
    doc = parse(lines)
    assert doc.complete and [t.name for t in doc.tests] == ["first", "second"]
    assert doc.tests[1].diagnostics == ["d" * 300]
