"""Runs a command, copies its output through, and types a key into its stdin once a prompt appears (firmware countdowns)."""
# Standalone on purpose: the harness starts it as a script in front of QEMU, so it imports
# nothing from the package. Usage: key_relay.py --when TEXT --send TEXT -- command...
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys

# Firmware colours its prompts ("Press ESC in" is split by colour codes): match on text
# with the escape sequences removed.
_ANSI = re.compile(rb"\x1b(\[[0-9;?]*[A-Za-z]|[0-9A-Za-z])")
_TAIL_BYTES = 4096


def relay(command: list[str], when: bytes, send: bytes) -> int:
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert child.stdin is not None and child.stdout is not None
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    tail = b""
    sent = False
    out = sys.stdout.buffer
    while chunk := os.read(child.stdout.fileno(), 65536):
        out.write(chunk)
        out.flush()
        if sent:
            continue
        tail = (tail + chunk)[-_TAIL_BYTES:]
        if when in _ANSI.sub(b"", tail):
            try:
                child.stdin.write(send)
                child.stdin.flush()
            except BrokenPipeError:
                pass
            sent = True
    return child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--when", required=True, help="text on the console that asks for the key")
    parser.add_argument("--send", required=True, help="what to type (once)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    return relay(command, args.when.encode(), args.send.encode())


if __name__ == "__main__":
    sys.exit(main())
