"""A platform declaration a vendor writes (devices, CPUs, memory, firmware, conduit, host services), checked with file:line errors."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

from .guest_facts import OTHER_SERVICES, SERVICE_TEXT, GuestNeeds, scan
from .results import Status

FIRMWARE = ("direct", "uefi", "u-boot")  # how the platform starts a guest image
CONDUITS = ("hvc", "smc")
KEYS = {
    "platform": "name of the platform for the reports",
    "cpus": "virtual CPUs a guest gets",
    "memory_mib": "guest memory in MiB",
    "firmware": f"how a guest is started: {', '.join(FIRMWARE)}",
    "firmware_path": "the firmware image the platform uses (for the report)",
    "conduit": f"PSCI/SMCCC conduit: {', '.join(CONDUITS)}",
    "devices": "conditional features offered (each becomes avps.offers_<feature>=1)",
    "host_services": "host services available",
    "facts": "further avps.<key> facts the guest reads (mapping)",
}


class DeclarationError(Exception):
    """'file:line: what is wrong', exit 2."""


@dataclasses.dataclass
class PlatformDeclaration:
    path: Path
    name: str
    cpus: int
    memory_mib: int
    firmware: str
    firmware_path: str
    conduit: str
    devices: list[str]
    host_services: list[str]
    facts: dict[str, str]

    def guest_params(self) -> dict[str, str]:
        """The avps.* facts this declaration gives the guest (its kernel command line)."""
        params = {"cpus": str(self.cpus), "mem_mib": str(self.memory_mib), "psci_method": self.conduit}
        params.update({f"offers_{d}": "1" for d in self.devices})
        params.update(self.facts)
        return params

    def command_line(self) -> str:
        return " ".join(f"avps.{k}={v}" for k, v in self.guest_params().items())

    def missing_services(self, needs: GuestNeeds) -> list[str]:
        wanted = list(needs.services) + list(OTHER_SERVICES)
        return [s for s in wanted if s not in self.host_services]

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "platform": self.name, "cpus": self.cpus, "memory_mib": self.memory_mib,
                "firmware": self.firmware, "firmware_path": self.firmware_path, "conduit": self.conduit,
                "devices": self.devices, "host_services": self.host_services, "facts": self.facts,
                "guest_command_line": self.command_line()}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _text(path: Path, node: yaml.Node, key: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise DeclarationError(f"{path}:{_line(node)}: '{key}' must be a value")
    return str(node.value).strip()


def _number(path: Path, node: yaml.Node, key: str) -> int:
    value = _text(path, node, key)
    if not value.isdigit() or int(value) < 1:
        raise DeclarationError(f"{path}:{_line(node)}: '{key}' must be a positive whole number, not '{value}'")
    return int(value)


def _choice(path: Path, node: yaml.Node, key: str, allowed: tuple[str, ...] | list[str]) -> str:
    value = _text(path, node, key)
    if value not in allowed:
        raise DeclarationError(f"{path}:{_line(node)}: {key} '{value}' is not one of {', '.join(allowed)}")
    return value


def _list(path: Path, node: yaml.Node, key: str, allowed: list[str]) -> list[str]:
    if not isinstance(node, yaml.SequenceNode):
        raise DeclarationError(f"{path}:{_line(node)}: '{key}' must be a list")
    return [_choice(path, item, key[:-1] if key.endswith("s") else key, allowed) for item in node.value]


def load(path: Path, needs: GuestNeeds | None = None) -> PlatformDeclaration:
    """Reads and checks a declaration; every problem names the file and line."""
    needs = needs or scan()
    if path.is_dir():
        raise DeclarationError(f"{path}: is a directory, not a platform declaration")
    try:
        root = yaml.compose(path.read_text())
    except OSError as exc:
        raise DeclarationError(f"{path}: cannot read the declaration: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DeclarationError(f"{path}{':' + str(mark.line + 1) if mark else ''}: not valid YAML: "
                               f"{getattr(exc, 'problem', exc)}") from None
    if not isinstance(root, yaml.MappingNode):
        raise DeclarationError(f"{path}:1: a platform declaration is a mapping with keys {', '.join(KEYS)}")
    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if key not in KEYS:
            raise DeclarationError(f"{path}:{_line(key_node)}: unknown key '{key}' (known: {', '.join(KEYS)})")
        nodes[key] = value_node
    for key in ("platform", "cpus", "memory_mib", "firmware", "conduit"):
        if key not in nodes:
            raise DeclarationError(f"{path}:{_line(root)}: '{key}' missing ({KEYS[key]})")
    facts: dict[str, str] = {}
    if "facts" in nodes:
        if not isinstance(nodes["facts"], yaml.MappingNode):
            raise DeclarationError(f"{path}:{_line(nodes['facts'])}: 'facts' must be a mapping of avps.<key> values")
        for key_node, value_node in nodes["facts"].value:
            key = str(key_node.value).removeprefix("avps.")
            if key not in needs.facts:
                raise DeclarationError(f"{path}:{_line(key_node)}: unknown fact '{key}' (the guest reads: "
                                       f"{', '.join(needs.facts)})")
            facts[key] = _text(path, value_node, key)
    services = list(SERVICE_TEXT) + list(OTHER_SERVICES)
    return PlatformDeclaration(
        path=path, name=_text(path, nodes["platform"], "platform"),
        cpus=_number(path, nodes["cpus"], "cpus"), memory_mib=_number(path, nodes["memory_mib"], "memory_mib"),
        firmware=_choice(path, nodes["firmware"], "firmware", FIRMWARE),
        firmware_path=_text(path, nodes["firmware_path"], "firmware_path") if "firmware_path" in nodes else "",
        conduit=_choice(path, nodes["conduit"], "conduit", CONDUITS),
        devices=_list(path, nodes["devices"], "devices", list(needs.offers)) if "devices" in nodes else [],
        host_services=_list(path, nodes["host_services"], "host_services", services)
        if "host_services" in nodes else [],
        facts=facts)


def _program_of(source: str) -> str:
    """guest-tests/virtio/console.c -> virtio.console (the program's KTAP name)."""
    return source.removesuffix(".c").replace("/", ".")


def apply(run: Any, decl: PlatformDeclaration, needs: GuestNeeds | None = None,
          efi_programs: set[str] | frozenset[str] = frozenset()) -> None:
    """Judges the results against what the vendor declared: a declared feature whose cases
    skipped for want of the device fails; a failure in a program that needs a host service the
    platform does not declare says so; on a platform that declares no UEFI firmware, the cases
    of EFI-application probes (efi_programs) do not apply (skip, as in a direct-boot run) instead
    of counting as not-run."""
    needs = needs or scan()
    run.platform["declaration"] = decl.to_json()
    lacking = {_program_of(f): s for s, files in needs.services.items() if s not in decl.host_services for f in files}
    for case in run.cases:
        if case.program in efi_programs and decl.firmware != "uefi" and case.status is Status.NOT_RUN:
            case.status = Status.SKIP
            case.detail = (f"not bootable on this boot path: the platform declares firmware '{decl.firmware}' "
                           f"({decl.path}), an EFI application needs UEFI firmware")
        elif case.status.value == "skip":
            for feature in decl.devices:
                if f"conditional on the platform offering {feature}" in case.detail:
                    case.status = Status.FAIL
                    case.detail = (f"the platform declares '{feature}' ({decl.path}) but the guest found no device: "
                                   f"{case.detail}")
        elif case.status.is_failure and case.program in lacking:
            case.detail += f" (the platform declares no {lacking[case.program]} host service)"
