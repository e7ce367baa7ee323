"""avps-cts platform: check a vendor's platform declaration; keep the README's list of guest needs generated."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from .. import guest_facts, platform_decl


def cmd_platform(args: argparse.Namespace) -> int:
    needs = guest_facts.scan()
    if args.action == "check":
        if not args.file:
            print("avps-cts: platform check needs the declaration file", file=sys.stderr)
            return 2
        try:
            decl = platform_decl.load(Path(args.file), needs)
        except platform_decl.DeclarationError as exc:
            print(f"avps-cts: {exc}", file=sys.stderr)
            return 2
        print(f"{decl.path}: valid declaration of '{decl.name}'")
        print(f"guest kernel command line: {decl.command_line()}")
        missing = decl.missing_services(needs)
        if missing:
            print(f"host services the suite uses that this platform does not declare: {', '.join(missing)} "
                  "(the cases that need them will fail)")
        return 0
    readme = guest_facts.REPO / "README.md"
    text = readme.read_text()
    want = guest_facts.replace_in_readme(text, guest_facts.readme_section(needs))
    if args.action == "readme-check":
        if want != text:
            print("avps-cts: README.md's list of guest facts and host services is out of date with guest-tests/: "
                  "run 'make readme-facts'", file=sys.stderr)
            return 1
        print("README.md lists every avps.* fact and host service the guest sources use")
        return 0
    readme.write_text(want)
    print(f"README.md: guest facts and host services regenerated ({len(needs.facts)} facts, "
          f"{len(needs.services)} console services)")
    return 0


def register(sub: argparse._SubParsersAction, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("platform", help="check a platform declaration (check FILE); readme / readme-check")
    p.add_argument("action", choices=["check", "readme", "readme-check"])
    p.add_argument("file", nargs="?")
    p.set_defaults(func=cmd_platform)
