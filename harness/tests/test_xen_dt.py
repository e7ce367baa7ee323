"""Xen dom0less device tree: module placement, exact sizes in the generated /chosen nodes, dtc compiles it onto QEMU's DT."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from avps_cts.targets.xen.dt import (MODULE_ALIGN, MODULE_BASE, DeviceTreeError, DomainSpec, chosen_dts, compile_dom0less,
                             dump_qemu_dtb, place_modules)

BASE_DTS = """/dts-v1/;
/ {
	#address-cells = <0x2>;
	#size-cells = <0x2>;
	compatible = "linux,dummy-virt";
	chosen {
		stdout-path = "/pl011@9000000";
	};
	pl011@9000000 {
		compatible = "arm,pl011", "arm,primecell";
		reg = <0x0 0x9000000 0x0 0x1000>;
	};
};
"""


def _file(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    path.write_bytes(b"\x5a" * size)
    return path


def _base_dtb(tmp_path: Path) -> Path:
    if shutil.which("dtc") is None:
        pytest.fail("dtc missing: install Debian package device-tree-compiler (make bootstrap does)")
    src = tmp_path / "base.dts"
    src.write_text(BASE_DTS)
    out = tmp_path / "base.dtb"
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", str(out), str(src)], check=True)
    return out


def _fdtget(dtb: Path, node: str, prop: str, kind: str = "x") -> str:
    return subprocess.run(["fdtget", "-t", kind, str(dtb), node, prop], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_modules_are_2mib_aligned_and_a_shared_file_is_loaded_once(tmp_path: Path) -> None:
    kernel = _file(tmp_path, "Image", 3 * 1024 * 1024 + 17)
    initrd = _file(tmp_path, "initrd", 1000)
    probe = _file(tmp_path, "probe.img", 37552)
    placed = place_modules([kernel, initrd, kernel, probe])
    assert [m.address for m in placed.values()] == [MODULE_BASE, MODULE_BASE + 2 * MODULE_ALIGN,
                                                    MODULE_BASE + 3 * MODULE_ALIGN]
    assert [m.size for m in placed.values()] == [3 * 1024 * 1024 + 17, 1000, 37552]
    assert placed[kernel.resolve()].loader_args() == [
        "-device", f"loader,file={kernel.resolve()},addr={MODULE_BASE:#x},force-raw=on"]


def test_empty_module_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviceTreeError):
        place_modules([_file(tmp_path, "empty", 0)])


def test_generated_dts_has_the_exact_module_sizes(tmp_path: Path) -> None:
    kernel = _file(tmp_path, "Image", 5_000_001)
    initrd = _file(tmp_path, "initrd", 123_457)
    probe = _file(tmp_path, "psci.img", 37_552)
    domains = [DomainSpec("domU1", kernel, 'console=ttyAMA0 avps.x="q"', initrd, 1024, 2),
               DomainSpec("domU2", probe, memory_mib=64, cpus=1)]
    modules = place_modules([kernel, initrd, probe])
    text = chosen_dts(domains, modules, "console=dtuart bootscrub=0")
    assert f"reg = <0x0 {MODULE_BASE:#x} 0x0 {5_000_001:#x}>;" in text
    assert f"reg = <0x0 {modules[initrd.resolve()].address:#x} 0x0 {123_457:#x}>;" in text
    assert f"reg = <0x0 {modules[probe.resolve()].address:#x} 0x0 {37_552:#x}>;" in text
    assert 'xen,xen-bootargs = "console=dtuart bootscrub=0";' in text
    assert 'bootargs = "console=ttyAMA0 avps.x=\\"q\\"";' in text
    assert f"memory = <0x0 {1024 * 1024:#x}>;" in text and "cpus = <0x1>;" in text
    assert text.count('"multiboot,ramdisk"') == 1 and text.count("vpl011;") == 2


def test_dtc_compiles_it_and_xen_reads_back_what_was_generated(tmp_path: Path) -> None:
    kernel = _file(tmp_path, "Image", 2_222_222)
    probe = _file(tmp_path, "probe.img", 40_048)
    domains = [DomainSpec("domU1", kernel, "console=ttyAMA0 quiet", None, 512, 2),
               DomainSpec("domU2", probe, memory_mib=64, cpus=2)]
    modules = place_modules([kernel, probe])
    out = compile_dom0less(_base_dtb(tmp_path), chosen_dts(domains, modules, "console=dtuart bootscrub=0"),
                           tmp_path / "xen.dtb")
    assert _fdtget(out, "/chosen", "stdout-path", "s") == "/pl011@9000000"  # the base /chosen is kept
    assert _fdtget(out, "/chosen", "xen,xen-bootargs", "s") == "console=dtuart bootscrub=0"
    assert _fdtget(out, f"/chosen/domU1/module@{MODULE_BASE:x}", "reg") == f"0 {MODULE_BASE:x} 0 {2_222_222:x}"
    second = modules[probe.resolve()].address
    assert _fdtget(out, f"/chosen/domU2/module@{second:x}", "reg") == f"0 {second:x} 0 {40_048:x}"
    assert _fdtget(out, "/chosen/domU2", "compatible", "s") == "xen,domain"
    assert _fdtget(out, "/chosen/domU1", "memory") == f"0 {512 * 1024:x}"


def test_compile_error_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DeviceTreeError):
        compile_dom0less(_base_dtb(tmp_path), "/ { chosen { broken", tmp_path / "bad.dtb")


def test_qemu_dump_with_the_same_machine_options(tmp_path: Path, qemu_ready: Path) -> None:
    out = dump_qemu_dtb(["qemu-system-aarch64", "-cpu", "cortex-a57", "-smp", "2", "-m", "2048",
                         "-display", "none", "-nic", "none"], "virt,virtualization=on,gic-version=3",
                        tmp_path / "virt.dtb")
    assert _fdtget(out, "/chosen", "stdout-path", "s").startswith("/pl011@")
    assert "arm,gic-v3" in _fdtget(out, "/intc@8000000", "compatible", "s")


def test_a_probe_domu_gets_its_case_filter_as_bootargs(tmp_path: Path) -> None:
    """A rule-based run reaches a probe booted as a domU: its case filter is the domain's bootargs, which
    Xen puts in the domU's /chosen (without it a skipped case would run)."""
    from avps_cts import profiles
    from avps_cts.targets import xen
    from avps_cts.targets.base import BootImage
    target = xen.create(profiles.load("xen"), tmp_path / "scratch")
    probe = tmp_path / "psci.img"
    probe.write_bytes(b"\0" * 64)
    filtered = BootImage("probe", probe, name="psci", params={"cases": "-psci.cpu_on.after_off"})
    assert target.domain_for(filtered, 1).bootargs == "avps.cases=-psci.cpu_on.after_off"
    assert target.domain_for(BootImage("probe", probe, name="psci"), 1).bootargs == ""
    assert "bootargs = \"avps.cases=-psci.cpu_on.after_off\";" in chosen_dts(
        [target.domain_for(filtered, 1)], place_modules([probe]), "")
