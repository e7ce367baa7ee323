"""Boots at once (run --jobs): each worker its own target, results in image order, interruption, progress."""
from __future__ import annotations

import io
import signal
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from avps_cts.boot_pool import default_jobs, jobs_argument, run_pool, workers_for
from avps_cts.manifest import load as load_manifest
from avps_cts.results import RunResult, Status
from avps_cts.run import Progress, probe_images, run_images
from avps_cts.targets.base import BootImage, BootOutput

from test_run_integrity import probe_log


class _Slow:
    """A target whose boots take the time named per image; it records who booted what, and when."""

    def __init__(self, manifest, seconds: dict[str, float], scratch: str = "job0",
                 log: list[tuple[str, str, float, float]] | None = None) -> None:
        self.manifest, self.seconds, self.scratch = manifest, seconds, scratch
        self.log = log if log is not None else []

    def worker(self, n: int) -> "_Slow":
        return _Slow(self.manifest, self.seconds, f"job{n}", self.log)

    def boot(self, image: BootImage, log_path: Path) -> BootOutput:
        start = time.monotonic()
        time.sleep(self.seconds.get(image.name, 0.0))
        lines = probe_log(self.manifest, image.name)
        log_path.write_text("\n".join(lines) + "\n")
        self.log.append((image.name, self.scratch, start, time.monotonic()))
        return BootOutput(lines=lines, times=[0.0] * len(lines), exit_code=0, duration_s=0.1,
                          host_evidence={"shutdown_reason": "guest-shutdown"})


def test_a_target_without_siblings_boots_one_at_a_time() -> None:
    target = object()
    assert workers_for(target, 4) == [target]
    assert 1 <= default_jobs() <= 2


def test_jobs_is_a_whole_number_of_at_least_one() -> None:
    import argparse
    assert jobs_argument("3") == 3
    for bad in ("0", "-1", "two"):
        with pytest.raises(argparse.ArgumentTypeError, match="--jobs"):
            jobs_argument(bad)


def test_results_keep_image_order_whatever_order_boots_end(build: Path, tmp_path: Path) -> None:
    manifest = load_manifest(build)
    images = [i for i in probe_images(build, manifest) if not i.kernel.suffix == ".efi"][:3]
    assert len(images) == 3
    # The first image is slow: the other two finish before it on the second worker.
    target = _Slow(manifest, {images[0].name: 0.6})
    run = RunResult(target="t")
    seen: list[str] = []
    run_images(target, images, manifest, tmp_path, run, on_boot=lambda image, out: seen.append(image.name), jobs=2)
    order = [c.program for c in run.cases]
    assert list(dict.fromkeys(order)) == [i.name for i in images]
    assert seen == [i.name for i in images] and [b["image"] for b in run.platform["boots"]] == seen
    assert run.platform["parallel_boots"] == 2 and run.problems == []
    by_image = {name: (scratch, start, end) for name, scratch, start, end in target.log}
    assert by_image[images[0].name][0] == "job0" and by_image[images[1].name][0] == "job1"
    assert by_image[images[1].name][2] < by_image[images[0].name][2], "the second boot ran beside the first"
    assert all((tmp_path / f"console-{i.name}.log").exists() for i in images)
    sequential = RunResult(target="t")
    (tmp_path / "seq").mkdir()
    run_images(_Slow(manifest, {}), images, manifest, tmp_path / "seq", sequential, jobs=1)
    assert [(c.case_id, c.status) for c in sequential.cases] == [(c.case_id, c.status) for c in run.cases]


def test_an_interrupt_keeps_finished_boots_and_hands_out_no_more() -> None:
    started: list[str] = []

    def work(worker: str, index: int, item: str) -> str:
        started.append(item)
        if item == "ctrl-c":
            raise KeyboardInterrupt  # stands in for Ctrl-C reaching the caller's thread
        return item

    with pytest.raises(KeyboardInterrupt) as caught:
        run_pool(["a"], ["quick", "ctrl-c", "never"], work)
    assert caught.value.args[0] == {0: "quick"} and "never" not in started


@pytest.fixture()
def sigint_raises() -> Iterator[None]:
    """Python's own SIGINT handler for one test: a job started in the background (CI's nohup, '&')
    inherits SIGINT ignored, and then _thread.interrupt_main() does nothing at all."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("sigint_raises")
def test_an_interrupt_of_boots_at_once_ends_those_in_progress() -> None:
    """Ctrl-C reaches the waiting caller's thread: cancel() ends the boots, finished ones are kept."""
    cancelled = threading.Event()

    def work(worker: str, index: int, item: str) -> str:
        if item == "slow":
            cancelled.wait(10)
        return item

    def interrupt_soon() -> None:
        time.sleep(0.5)
        import _thread
        _thread.interrupt_main()

    threading.Thread(target=interrupt_soon, daemon=True).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as caught:
        run_pool(["a", "b"], ["slow", "quick"], work, cancel=cancelled.set)
    assert caught.value.args[0] == {1: "quick"} and cancelled.is_set()
    assert time.monotonic() - start < 5


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    def work(worker: str, index: int, item: str) -> str:
        if item == "bad":
            raise RuntimeError("boom")
        return item

    with pytest.raises(RuntimeError, match="boom"):
        run_pool(["a", "b"], ["ok", "bad", "ok2"], work)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_names_every_image_booting_now(tmp_path: Path) -> None:
    stream = _Tty()
    progress = Progress.for_terminal(5, stream)
    assert progress is not None
    (tmp_path / "a.log").write_text("ok 1 x\nok 2 y\n")
    (tmp_path / "b.log").write_text("not ok 1 z\n")
    progress.begin(1, "linux", tmp_path / "a.log")
    progress.begin(2, "psci", tmp_path / "b.log")
    assert "[2/5] linux + psci: 3 results" in progress.line()
    progress.finish("linux")
    assert "[2/5] psci: 1 results" in progress.line()
    progress.end()


def test_unbootable_images_are_skipped_in_their_place(build: Path, tmp_path: Path) -> None:
    manifest = load_manifest(build)
    images = [i for i in probe_images(build, manifest) if not i.kernel.suffix == ".efi"][:2]

    class _NoSecond(_Slow):
        def worker(self, n: int) -> "_NoSecond":
            return _NoSecond(self.manifest, self.seconds, f"job{n}", self.log)

        def cannot_boot(self, image: BootImage) -> str | None:
            return "not this one" if image.name == images[0].name else None

    run = RunResult(target="t")
    run_images(_NoSecond(manifest, {}), images, manifest, tmp_path, run, jobs=2)
    first = [c for c in run.cases if c.program == images[0].name]
    assert first and all(c.status is Status.SKIP for c in first)
    assert run.cases[0].program == images[0].name
