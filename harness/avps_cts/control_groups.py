"""Boot sharing for negative controls: which control profiles of one target may run their fault switches in one boot.

A grouped boot is only an optimization. Two controls share a boot only when they cannot interact,
judged from the profile data alone (so it holds for profiles written later in the same shapes):

- same platform: the profiles are equal once their device-local fault switches are taken out
  (`vhost_user_options` of a device's back end, refhv's `options.device_faults` of a device model),
  so every other setting (devices, params, scenario, globals, ...) is the same;
- only device-local switches: a hypervisor fault (refhv `options.faults`: PSCI, GIC, timer, DT,
  stage 2) acts on the whole VM, and a profile that changes the platform itself (removes or
  reconfigures a device, changes params) is its own platform: such profiles always boot alone;
- different devices: no two members switch faults on the same device (model or back end);
- different units: no two members name cases of the same Linux program (its cases share one process)
  or the same probe case; the grouped boot filter selects exactly the union of the members' own
  filters (a filter too long for the command line would widen it: then they boot apart);
- no known reach: a unit is taken to use every device some profile of the target faults while
  naming it (virtio.vq.used_flags uses entropy and block, virtio.sound uses sound); no member's
  fault may sit on a device another member's units use.

The caller judges every member on the grouped boot and boots alone, before judging it, each member
whose named cases did not all fail for their named reasons there.
"""
from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from . import profiles
from .manifest import Manifest
from .selection import filter_selects, linux_filter, probe_filter

# Profile keys that only switch faults on one device; everything else defines the platform.
_DEVICE_FAULT_KEY = "vhost_user_options"
_DEVICE_FAULT_OPTION = "device_faults"
_VM_FAULT_OPTION = "faults"


@dataclasses.dataclass(frozen=True)
class Member:
    """One control profile as boot sharing sees it."""

    name: str
    platform: str  # the profile without its device-local fault switches (canonical JSON)
    devices: frozenset[str]  # devices whose fault switches it sets
    units: frozenset[str]  # what its named cases run in: a Linux program, or the probe case itself
    images: frozenset[str]  # images it boots: "linux" and/or probe names
    shareable: bool  # False: boots alone whatever the others are


@dataclasses.dataclass
class BootGroup:
    members: list[Member]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.members]


def _platform_and_devices(spec: dict[str, Any]) -> tuple[str, frozenset[str], bool]:
    """The profile without its device-local fault switches, the devices they touch, and whether
    every switch it has is device-local (a profile without any switch changes the platform itself)."""
    rest = {k: v for k, v in spec.items() if k not in ("description", "expect", _DEVICE_FAULT_KEY)}
    devices = set(str(d) for d in (spec.get(_DEVICE_FAULT_KEY) or {}))
    options = dict(rest.get("options") or {})
    devices |= {str(d) for d in (options.pop(_DEVICE_FAULT_OPTION, None) or {})}
    vm_faults = options.pop(_VM_FAULT_OPTION, None)
    if options or "options" in rest:
        rest["options"] = options
    shareable = bool(devices) and not vm_faults
    return json.dumps(rest, sort_keys=True, default=str), frozenset(devices), shareable


def members(target: str, names: list[str], manifest: Manifest) -> list[Member]:
    """Boot-sharing view of the named control profiles of one target (profiles without expect.fail left out)."""
    raw = profiles._load_target(target)["profiles"]
    program_of = {c.case_id: c.program for c in manifest.cases}
    linux = set(manifest.linux_programs())
    out = []
    for name in names:
        config = profiles.load(target, name)
        if not config.expect_fail:
            continue
        platform, devices, shareable = _platform_and_devices(dict(raw[name] or {}))
        programs = {program_of.get(c, "") for c in config.expect_fail}
        if "" in programs:  # a case the build does not have: boot it alone, it reports NOT RUN there
            shareable = False
        images = {"linux" if p in linux else p for p in programs}
        units = {program_of[c] if program_of.get(c) in linux else c for c in config.expect_fail}
        out.append(Member(name, platform, devices, frozenset(units), frozenset(images), shareable))
    return out


def unit_reach(all_members: list[Member]) -> dict[str, set[str]]:
    """Unit (Linux program, probe case) -> devices it is known to use: those some control of the target
    faults while naming it (or one of its cases)."""
    reach: dict[str, set[str]] = {}
    for m in all_members:
        for unit in m.units:
            reach.setdefault(unit, set()).update(m.devices)
    return reach


def can_interact(a: Member, b: Member, reach: dict[str, set[str]]) -> bool:
    if not (a.shareable and b.shareable) or a.platform != b.platform:
        return True
    if a.devices & b.devices or a.units & b.units:
        return True
    uses_a = set().union(*(reach.get(u, set()) for u in a.units))
    uses_b = set().union(*(reach.get(u, set()) for u in b.units))
    return bool(a.devices & uses_b or b.devices & uses_a)


def linux_plan(manifest: Manifest, params: dict[str, str]) -> dict[str, frozenset[str]]:
    """What a Linux boot filter (avps.only, avps.cases) runs: program -> its cases."""
    programs = params["only"].split(",") if params.get("only") else manifest.linux_programs()
    cases = params.get("cases", "")
    return {program: frozenset(c.case_id for c in manifest.for_program(program) if filter_selects(cases, c.case_id))
            for program in programs}


def probe_plan(manifest: Manifest, probe: str, params: dict[str, str]) -> frozenset[str]:
    """The cases a probe boot filter (avps.cases) selects."""
    cases = params.get("cases", "")
    return frozenset(c.case_id for c in manifest.for_program(probe) if filter_selects(cases, c.case_id))


def filter_keeps_selection(manifest: Manifest, expect: dict[str, dict[str, str]], names: list[str]) -> bool:
    """True when the grouped boots select, image by image, exactly the union of what each member's own
    boots select (a filter too long for the command line falls back to whole programs or to none: then
    the members boot apart)."""
    linux_ids = {c.case_id for p in manifest.linux_programs() for c in manifest.for_program(p)}
    alone: dict[str, frozenset[str]] = {}
    for name in names:
        mine = set(expect[name]) & linux_ids
        if mine:
            alone.update(linux_plan(manifest, linux_filter(manifest, mine)))
    union = set().union(*(set(expect[n]) for n in names))
    if alone and linux_plan(manifest, linux_filter(manifest, union & linux_ids)) != alone:
        return False
    for probe in manifest.probes():
        ids = {c.case_id for c in manifest.for_program(probe)}
        picked = [set(expect[n]) & ids for n in names]
        if sum(bool(p) for p in picked) < 2:
            continue
        together = probe_plan(manifest, probe, probe_filter(manifest, probe, union & ids))
        if together != frozenset().union(*(probe_plan(manifest, probe, probe_filter(manifest, probe, p))
                                           for p in picked if p)):
            return False
    return True


def plan(target: str, names: list[str], manifest: Manifest) -> list[BootGroup]:
    """Control profiles in boot groups, in profile order: each joins the first group it cannot interact
    with any member of and shares an image with, else starts its own."""
    all_members = members(target, profiles.profile_names(target), manifest)
    reach = unit_reach(all_members)
    wanted = members(target, names, manifest)
    expect = {m.name: profiles.load(target, m.name).expect_fail for m in wanted}
    groups: list[BootGroup] = []
    for m in wanted:
        for group in groups:
            if not m.images & set().union(*(g.images for g in group.members)):
                continue
            if any(can_interact(m, other, reach) for other in group.members):
                continue
            if not filter_keeps_selection(manifest, expect, group.names + [m.name]):
                continue
            group.members.append(m)
            break
        else:
            groups.append(BootGroup([m]))
    return groups


def group_config(target: str, names: list[str]) -> profiles.PlatformConfig:
    """One platform carrying every member's device-local fault switches (members share everything else)."""
    configs = [profiles.load(target, n) for n in names]
    raw = profiles._load_target(target)["profiles"]
    merged = copy.deepcopy(configs[0])
    merged.profile = "+".join(names)
    merged.description = "boot group of negative controls: " + ", ".join(names)
    merged.expect_fail = {}
    device_faults: dict[str, Any] = {}
    by_name = {d.name: i for i, d in enumerate(merged.devices)}
    for name, config in zip(names, configs):
        spec = raw[name] or {}
        for device in spec.get(_DEVICE_FAULT_KEY) or {}:
            mine = next(d for d in config.devices if d.name == device)
            merged.devices[by_name[device]] = copy.deepcopy(mine)
        device_faults.update(copy.deepcopy((spec.get("options") or {}).get(_DEVICE_FAULT_OPTION) or {}))
        merged.expect_fail.update(config.expect_fail)
    if device_faults:
        merged.options = {**merged.options, _DEVICE_FAULT_OPTION: device_faults}
    return merged
