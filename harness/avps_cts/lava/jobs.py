"""LAVA job definitions for the suite: QEMU jobs (test shell or KTAP monitors) and board templates (u-boot, UEFI)."""
from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path
from typing import Any

import yaml

from .qemu_platform import QemuPlatform, quote

# One KTAP result line -> one LAVA result (LAVA-NOTES §4). The lookahead takes the name; for
# '# SKIP' lines the result group sits on the SKIP word, else on 'ok'/'not ok'. kselftest 6.1
# prints a skipped case as 'ok N # SKIP reason' with no name: that line is left alone and the
# case's '#      SKIP      reason' + '#            OK  name' lines before it make the result.
# Lines end in [\r\n] because QEMU's serial output arrives as '\r\r\n'.
KTAP_PATTERN = (r"(?=(?:(?:not )?ok \d+ |#[ \t]+SKIP[^\r\n]*[\r\n]+[ \t]*#[ \t]+OK[ \t]+)"
                r"(?P<test_case_id>[^\r\n# \t][^\r\n#]*?)[ \t]*(?:#[^\r\n]*)?[\r\n])"
                r"(?:(?:not )?ok \d+ [^\r\n#]*# *(?=SKIP)|#[ \t]+(?=SKIP))?(?P<result>not ok|ok|SKIP)[^\r\n]*")
KTAP_FIXUP = {"ok": "pass", "not ok": "fail", "SKIP": "skip"}
# Where each image's KTAP output ends (printed after the last result, before power-off).
LINUX_END = "avps-runner: done"
PROBE_END = "probe: boot-to-verdict"
TESTDEF_PATH = "lava/testdefs/avps-cts.yaml"
TESTDEF_NAME = "avps-cts"
# LAVA waits for this before the prompt. Its default, 'Linux version [0-9]', is not printed
# under 'quiet' (the suite's command line); the guest's /init always prints this line.
KERNEL_START = "avps-init: kernel"


@dataclasses.dataclass
class Timeouts:
    """Minutes per stage. boot also bounds a monitor's silence between two results (LAVA-NOTES §7)."""

    job: int = 20
    deploy: int = 5
    boot: int = 5
    test: int = 10
    connection: int = 2


def _header(device_type: str, name: str, t: Timeouts, context: dict[str, Any] | None) -> dict[str, Any]:
    job: dict[str, Any] = {
        "device_type": device_type,
        "job_name": name,
        "priority": "medium",
        "visibility": "public",
        "timeouts": {"job": {"minutes": t.job}, "action": {"minutes": max(t.deploy, t.boot, t.test)},
                     "connection": {"minutes": t.connection}},
    }
    if context:
        job["context"] = context
    job["actions"] = []
    return job


def shell_test(t: Timeouts, testdef: dict[str, Any] | None = None, repository: str | None = None,
               revision: str | None = None) -> dict[str, Any]:
    """The test action for an image with a prompt: our definition inline (testdef) or from git."""
    if testdef is not None:
        # lava-server's submission schema refuses 'params' in an inline definition, and lava-common's
        # refuses 'parameters' beside one (lava-run accepts both): the params become exports ahead
        # of the run steps, which LAVA runs in one shell script.
        inline = {k: v for k, v in testdef.items() if k != "params"}
        exports = [f"export {k}={shlex.quote(str(v))}" for k, v in (testdef.get("params") or {}).items()]
        if exports:
            inline["run"] = {**inline.get("run", {}), "steps": exports + list(inline.get("run", {}).get("steps", []))}
        definition: dict[str, Any] = {"from": "inline", "name": TESTDEF_NAME, "path": "inline/avps-cts.yaml",
                                      "repository": inline}
    else:
        definition = {"from": "git", "name": TESTDEF_NAME, "path": TESTDEF_PATH, "repository": repository}
        if revision:
            definition["revision"] = revision
    return {"test": {"timeout": {"minutes": t.test}, "definitions": [definition]}}


def monitor_test(t: Timeouts, end: str, name: str = "avps-ktap") -> dict[str, Any]:
    """The test action for an image that runs by itself and prints KTAP: one monitor."""
    return {"test": {"timeout": {"minutes": t.test}, "monitors": [
        {"name": name, "start": "KTAP version 1", "end": end, "pattern": KTAP_PATTERN, "fixupdict": KTAP_FIXUP}]}}


def _append_boot_and_test(job: dict[str, Any], boot: dict[str, Any], t: Timeouts, prompt: str | None,
                          test: dict[str, Any]) -> None:
    """The boot action (waiting for a shell prompt when the job has one) and the test action."""
    boot = {**boot, "timeout": {"minutes": t.boot}}
    if prompt:
        boot["prompts"] = [prompt]
        boot["parameters"] = {"kernel-start-message": KERNEL_START}
    job["actions"].append({"boot": boot})
    job["actions"].append(test)


def qemu_job(name: str, kernel_url: str, platform: QemuPlatform, disk_urls: dict[str, str], test: dict[str, Any],
             t: Timeouts, ramdisk_url: str | None = None, prompt: str | None = None) -> dict[str, Any]:
    """device_type qemu, deploy to tmpfs, boot method qemu. A ramdisk makes it the Linux image
    (LAVA appends its overlay when there is a prompt); without one the kernel is a probe."""
    job = _header("qemu", name, t, {"arch": "arm64"})
    kernel_arg = "-kernel {kernel} " + " ".join(quote(a) for a in platform.args)
    if ramdisk_url:
        kernel_arg += " -append " + quote(platform.append)
    images: dict[str, Any] = {"kernel": {"url": kernel_url, "image_arg": kernel_arg}}
    if ramdisk_url:
        ramdisk: dict[str, Any] = {"url": ramdisk_url, "image_arg": "-initrd {ramdisk}", "compression": "gz"}
        if prompt:
            ramdisk.update({"format": "cpio.newc", "overlays": {"lava": True}})
        images["ramdisk"] = ramdisk
    for label, arg in platform.disks.items():
        images[label] = {"url": disk_urls[label], "image_arg": arg}
    job["actions"].append({"deploy": {"to": "tmpfs", "timeout": {"minutes": t.deploy}, "images": images}})
    _append_boot_and_test(job, {"method": "qemu", "media": "tmpfs"}, t, prompt, test)
    return job


def uboot_job(device_type: str, name: str, kernel_url: str, test: dict[str, Any], t: Timeouts,
              ramdisk_url: str | None = None, dtb_url: str | None = None, prompt: str | None = None,
              commands: str = "ramdisk", kernel_args: str = "") -> dict[str, Any]:
    """A board booted by U-Boot: TFTP deploy, booti of the arm64 Image (our kernel or a probe)."""
    job = _header(device_type, name, t, {"extra_kernel_args": kernel_args} if kernel_args else None)
    deploy: dict[str, Any] = {"to": "tftp", "timeout": {"minutes": t.deploy},
                              "kernel": {"url": kernel_url, "type": "image"}}
    if ramdisk_url:
        deploy["ramdisk"] = {"url": ramdisk_url, "compression": "gz", "install_overlay": bool(prompt),
                             "install_modules": False}
    if dtb_url:
        deploy["dtb"] = {"url": dtb_url}
    job["actions"].append({"deploy": deploy})
    _append_boot_and_test(job, {"method": "u-boot", "commands": commands}, t, prompt, test)
    return job


def uefi_job(device_type: str, name: str, kernel_url: str, test: dict[str, Any], t: Timeouts,
             ramdisk_url: str | None = None, dtb_url: str | None = None, prompt: str | None = None,
             commands: str = "ramdisk", kernel_args: str = "") -> dict[str, Any]:
    """A board with UEFI firmware that network-boots GRUB (LAVA's grub method, the usual LAVA
    path for UEFI arm64 machines): TFTP deploy, GRUB loads our kernel through its EFI stub.
    Bare-metal probes have no EFI entry point, so they cannot boot this way."""
    job = uboot_job(device_type, name, kernel_url, test, t, ramdisk_url, dtb_url, prompt, commands, kernel_args)
    job["actions"][1]["boot"]["method"] = "grub"
    return job


def file_url(path: Path) -> str:
    return "file://" + str(path.resolve())


def dump(job: dict[str, Any], comment: str = "") -> str:
    head = "".join(f"# {line}\n" for line in comment.splitlines())
    return head + yaml.safe_dump(job, sort_keys=False, width=1000)
