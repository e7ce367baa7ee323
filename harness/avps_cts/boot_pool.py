"""Boots independent images on several workers at once (each its own target and host services), in list order."""
from __future__ import annotations

import argparse
import os
import threading
from typing import Callable, Sequence, TypeVar

Worker = TypeVar("Worker")
Item = TypeVar("Item")
Result = TypeVar("Result")


def default_jobs() -> int:
    """Boots at once by default: one per host core, at most 2 (the Linux image beside the probes in
    turn). make bench on the 2-core TCG host at load 1.2-1.7: full default run 12.7 s at 1 job,
    9.7-10.1 s at 2, 10.5 s at 3 (the PSCI probe's 4 vCPUs and the Linux image then share 2 cores)."""
    return max(1, min(2, os.cpu_count() or 1))


def jobs_argument(text: str) -> int:
    """--jobs N (run, bench): a whole number of at least 1."""
    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs takes a whole number, not '{text}'") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be at least 1, not {jobs}")
    return jobs


def workers_for(target: object, jobs: int) -> list[object]:
    """The target itself plus jobs-1 siblings from target.worker(n); a target that cannot make
    siblings (no worker(), e.g. one hypervisor instance on the host) boots one image at a time."""
    make = getattr(target, "worker", None)
    if jobs <= 1 or not callable(make):
        return [target]
    return [target] + [make(n) for n in range(1, jobs)]


def run_pool(workers: Sequence[Worker], items: Sequence[Item], work: Callable[[Worker, int, Item], Result],
             on_start: Callable[[int, Item], None] | None = None,
             on_done: Callable[[int, Item], None] | None = None,
             cancel: Callable[[], None] | None = None) -> dict[int, Result]:
    """Each worker takes the next item in list order until none is left; returns index -> result.

    With one worker everything runs in the caller's thread (a KeyboardInterrupt stops it at
    once). With more, the caller's thread only waits: on a KeyboardInterrupt it stops handing
    out items, calls cancel() to end the work in progress, waits for the workers and re-raises
    KeyboardInterrupt with the results finished before the interrupt as its argument."""
    results: dict[int, Result] = {}
    if len(workers) <= 1:
        for index, item in enumerate(items):
            if on_start:
                on_start(index, item)
            try:
                results[index] = work(workers[0], index, item)
            except KeyboardInterrupt:
                raise KeyboardInterrupt(results) from None
            if on_done:
                on_done(index, item)
        return results
    lock = threading.Lock()
    next_index = [0]
    stop = threading.Event()
    errors: list[BaseException] = []

    def loop(worker: Worker) -> None:
        while not stop.is_set():
            with lock:
                index = next_index[0]
                if index >= len(items):
                    return
                next_index[0] += 1
                if on_start:
                    on_start(index, items[index])
            try:
                result = work(worker, index, items[index])
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                with lock:
                    errors.append(exc)
                stop.set()
                return
            with lock:
                results[index] = result
                if on_done:
                    on_done(index, items[index])

    threads = [threading.Thread(target=loop, args=(w,), daemon=True, name=f"boot-{n}") for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)
    except KeyboardInterrupt:
        with lock:
            stop.set()
            finished = dict(results)
        if cancel:
            cancel()
        for thread in threads:
            thread.join(15)
        raise KeyboardInterrupt(finished) from None
    if errors:
        raise errors[0]
    return results
