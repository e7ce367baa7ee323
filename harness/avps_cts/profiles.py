"""Target descriptions as data (harness/profiles/<target>.yaml) and their named profiles, negative controls included."""
from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import yaml

from .yaml_text import safe_load

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"
_PROFILE_KEYS = {"description", "remove", "globals", "echo", "expect", "machine_options", "params",
                 "device_args", "smp", "memory_mib", "add", "options", "append_extra", "image_smp",
                 "vhost_user_options"}
# Top-level keys every target file may have; anything else goes to PlatformConfig.options
# for the target's driver (firmware paths, Xen settings, ...).
_TARGET_KEYS = {"driver", "qemu", "machine", "machine_options", "cpu", "smp", "image_smp", "memory_mib", "append",
                "timeout_s", "globals", "devices", "profiles"}


class ProfileError(Exception):
    """A target or profile file is malformed or names something that does not exist."""


@dataclasses.dataclass
class Device:
    name: str
    args: list[str]
    disks: dict[str, int] = dataclasses.field(default_factory=dict)  # name -> MiB
    sockets: list[str] = dataclasses.field(default_factory=list)
    echo: str | None = None
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    # A reference device model served over vhost-user for this device (host/vhost_user.py BackendSpec).
    vhost_user: dict[str, str] | None = None


@dataclasses.dataclass
class PlatformConfig:
    """One target under one profile: everything needed to start it."""

    target: str
    profile: str
    description: str
    qemu: str
    machine: str
    machine_options: str
    cpu: str
    smp: int
    memory_mib: int
    append: str
    timeout_s: float
    globals: dict[str, str]
    devices: list[Device]
    echo: bool
    params: dict[str, str]
    expect_fail: dict[str, str]  # negative control: case -> the diagnostic substring its failure must show
    driver: str = "qemu"  # harness/avps_cts/targets/<driver>.py boots it
    options: dict[str, Any] = dataclasses.field(default_factory=dict)  # driver-specific settings
    expect_lie: str = ""  # a control that only misdeclares a host fact: what it misdeclares
    # vCPUs per boot image name where it differs from smp (e.g. the PSCI probe needs >= 4)
    image_smp: dict[str, int] = dataclasses.field(default_factory=dict)

    def smp_for(self, image_name: str) -> int:
        return self.image_smp.get(image_name, self.smp)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "profile": self.profile, "description": self.description,
                "machine": f"{self.machine}{(',' + self.machine_options) if self.machine_options else ''}",
                "cpu": self.cpu, "smp": self.smp, "image_smp": self.image_smp, "memory_mib": self.memory_mib,
                "globals": self.globals, "devices": [d.name for d in self.devices]}


KNOWN_NONCONFORMANCE = PROFILE_DIR / "known-nonconformance.yaml"


def available_targets() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml") if p != KNOWN_NONCONFORMANCE)


def known_nonconformance(target: str, profile: str | None = None) -> dict[str, str]:
    """Cases that fail on the target's default profile because the platform does not conform; with a
    profile, also those recorded under '<target>/<profile>' (a finding only that profile's devices show)."""
    data = safe_load(KNOWN_NONCONFORMANCE.read_text()) or {}
    keys = [target] + ([f"{target}/{profile}"] if profile and profile != "default" else [])
    return {str(k): " ".join(str(v).split()) for key in keys for k, v in (data.get(key) or {}).items()}


# Parsed target files by (path, size, mtime): a control run loads the same file for every profile.
_PARSED: dict[tuple[str, int, int], dict[str, Any]] = {}


def _load_target(target: str) -> dict[str, Any]:
    """The target file's data (callers read it, never change it: load() copies what it hands out)."""
    path = PROFILE_DIR / f"{target}.yaml"
    if not path.exists():
        raise ProfileError(f"unknown target '{target}' (known: {', '.join(available_targets())})")
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _PARSED:
        return _PARSED[key]
    try:
        data = safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    if not isinstance(data, dict) or "devices" not in data or "profiles" not in data:
        raise ProfileError(f"{path}: needs 'devices' and 'profiles'")
    _PARSED[key] = data
    return data


def profile_names(target: str) -> list[str]:
    return list(_load_target(target)["profiles"])


_EXPECT_KEYS = {"fail", "lie"}


def _expectations(target: str, profile: str, expect: Any) -> tuple[dict[str, str], str]:
    """A negative control's expect section: fail maps each case to the diagnostic substring
    its failure must show; lie says what the control misdeclares (it changes nothing else)."""
    where = f"{PROFILE_DIR / (target + '.yaml')}: profile {profile}"
    if expect is None:
        return {}, ""
    if not isinstance(expect, dict) or set(expect) - _EXPECT_KEYS:
        raise ProfileError(f"{where}: expect takes only {sorted(_EXPECT_KEYS)}")
    fail = expect.get("fail") or {}
    if isinstance(fail, list):
        raise ProfileError(f"{where}: expect.fail is a list; it must map each case to the diagnostic "
                           f"substring its failure must show (case: \"reason\"), e.g. {fail[0] if fail else 'case'}: "
                           f"\"...\"")
    if not isinstance(fail, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                             for k, v in fail.items()):
        raise ProfileError(f"{where}: expect.fail must map each case to a non-empty diagnostic substring")
    lie = expect.get("lie") or ""
    if not isinstance(lie, str):
        raise ProfileError(f"{where}: expect.lie must say in words what the control misdeclares")
    return dict(fail), lie
def _image_smp(target: str, data: dict[str, Any], prof: dict[str, Any]) -> dict[str, int]:
    """Per-image vCPU counts: the target's image_smp, overridden by the profile's."""
    merged = {**(data.get("image_smp") or {}), **(prof.get("image_smp") or {})}
    try:
        out = {str(k): int(v) for k, v in merged.items()}
    except (TypeError, ValueError) as exc:
        raise ProfileError(f"{target}: image_smp must map image names to vCPU counts ({exc})") from exc
    bad = sorted(k for k, v in out.items() if v < 1)
    if bad:
        raise ProfileError(f"{target}: image_smp needs at least 1 vCPU for {bad}")
    return out


def load(target: str, profile: str = "default") -> PlatformConfig:
    data = _load_target(target)
    profiles = data["profiles"]
    if profile not in profiles:
        raise ProfileError(f"target '{target}' has no profile '{profile}' (known: {', '.join(profiles)})")
    prof = profiles[profile] or {}
    unknown = set(prof) - _PROFILE_KEYS
    if unknown:
        raise ProfileError(f"{target}/{profile}: unknown keys {sorted(unknown)}")
    remove = set(prof.get("remove", []))
    missing = remove - set(data["devices"])
    if missing:
        raise ProfileError(f"{target}/{profile}: removes unknown devices {sorted(missing)}")
    all_devices = dict(data["devices"])
    all_devices.update(prof.get("add", {}) or {})
    devices = []
    params: dict[str, str] = {}
    for name, spec in all_devices.items():
        if name in remove:
            continue
        args = (prof.get("device_args") or {}).get(name, spec["args"])
        dev = Device(name=name, args=[str(a) for a in args], disks=dict(spec.get("disks", {})),
                     sockets=list(spec.get("sockets", [])), echo=spec.get("echo"),
                     params={k: str(v) for k, v in (spec.get("params") or {}).items()})
        if spec.get("vhost_user"):
            dev.vhost_user = {k: str(v) for k, v in spec["vhost_user"].items()}
            # A profile's vhost_user_options are appended to the back end's model options (fault switches).
            extra = (prof.get("vhost_user_options") or {}).get(name)
            if extra:
                dev.vhost_user["options"] = ",".join(filter(None, [dev.vhost_user.get("options", ""), str(extra)]))
        params.update(dev.params)
        devices.append(dev)
    unknown_backends = set(prof.get("vhost_user_options") or {}) - {d.name for d in devices if d.vhost_user}
    if unknown_backends:
        raise ProfileError(f"{target}/{profile}: vhost_user_options for devices without a vhost_user back end: "
                           f"{sorted(unknown_backends)}")
    params.update({k: str(v) for k, v in (prof.get("params") or {}).items()})
    expect_fail, expect_lie = _expectations(target, profile, prof.get("expect"))
    glob = {k: str(v) for k, v in (data.get("globals") or {}).items()}
    glob.update({k: str(v) for k, v in (prof.get("globals") or {}).items()})
    return PlatformConfig(
        target=target, profile=profile, description=prof.get("description", ""),
        qemu=data.get("qemu", "qemu-system-aarch64"), machine=data.get("machine", "virt"),
        machine_options=str(prof.get("machine_options", data.get("machine_options", "")) or ""),
        cpu=data.get("cpu", "cortex-a57"), smp=int(prof.get("smp", data.get("smp", 1))),
        memory_mib=int(prof.get("memory_mib", data.get("memory_mib", 512))),
        append=" ".join(filter(None, [data.get("append", "console=ttyAMA0"), prof.get("append_extra")])),
        timeout_s=float(data.get("timeout_s", 300)),
        globals=glob, devices=devices, echo=bool(prof.get("echo", True)), params=params,
        expect_fail=expect_fail, expect_lie=expect_lie,
        driver=str(data.get("driver", "qemu")),
        image_smp=_image_smp(target, data, prof),
        options=copy.deepcopy({**{k: v for k, v in data.items() if k not in _TARGET_KEYS}, **(prof.get("options") or {})}),
    )
