"""LAVA subcommands: lava-image (boot images for jobs), lava-job (job YAML), lava-services (host side of a local run), lava-compare."""
from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import Any, Callable

import yaml

from .. import profiles
from ..kernel import GuestKernel, select_kernel
from ..lava import compare, images, jobs
from ..lava.artifacts import ArtifactError, ArtifactServer, artifact_roots, artifact_url
from ..lava.host_services import PORT_ENV, SEED_ENV, run_with_services, socket_dir
from ..lava.qemu_platform import platform_args
from ..manifest import load as load_manifest
from ..run import linux_image

REPO = Path(__file__).resolve().parents[3]


def _kernel(args: argparse.Namespace) -> GuestKernel:
    """The same kernel a direct 'avps-cts run' boots: --kernel suite|debian|PATH, the suite's own by default."""
    return select_kernel(getattr(args, "kernel", None), getattr(args, "modules", None))


def _image_paths(build: Path) -> dict[str, Path]:
    folder = build / "lava" / "images"
    return {"shell": folder / "avps-shell.cpio.gz", "disks": folder, "linux": build / "images" / "initramfs.cpio.gz"}


def cmd_image(args: argparse.Namespace) -> int:
    build = Path(args.build)
    paths = _image_paths(build)
    shell = images.shell_image(build, _kernel(args), paths["shell"])
    # The monitor job boots the direct run's own initramfs: built here too, so lava-validate and a
    # job rendered before any direct run name a file that exists (a fresh clone has none).
    monitor = linux_image(build, _kernel(args)).initrd
    print(f"Linux monitor image: {monitor}")
    disks = images.blank_disks(profiles.load(args.target, args.profile), paths["disks"])
    print(f"LAVA shell image: {shell}")
    for name, path in disks.items():
        print(f"blank disk {name}: {path}")
    return 0


def _testdef_action(args: argparse.Namespace, t: jobs.Timeouts) -> dict[str, Any]:
    if args.testdef == "git":
        return jobs.shell_test(t, repository=args.repository or str(REPO), revision=args.revision)
    testdef = yaml.safe_load((REPO / jobs.TESTDEF_PATH).read_text())
    return jobs.shell_test(t, testdef=testdef)


def _local_url(build: Path, base: str | None) -> Callable[[Path], str]:
    """How a job names a file of the local build: file:// (a worker on this machine), or its URL
    under an artifact server (avps-cts lava-artifacts) at 'base'."""
    if base is None:
        return jobs.file_url
    roots = artifact_roots(build)
    return lambda path: artifact_url(path, base, roots)


def cmd_job(args: argparse.Namespace) -> int:
    try:
        return _write_job(args)
    except ArtifactError as exc:
        print(f"avps-cts lava-job: {exc}", file=sys.stderr)
        return 2


def _write_job(args: argparse.Namespace) -> int:
    build = Path(args.build)
    paths = _image_paths(build)
    local_url = _local_url(build, args.artifact_base)
    t = jobs.Timeouts(job=args.job_timeout, deploy=args.deploy_timeout, boot=args.boot_timeout,
                      test=args.test_timeout, connection=args.connection_timeout)
    probe = args.image.removeprefix("probe:") if args.image.startswith("probe:") else None
    shell = args.image == "shell"
    if probe:
        kernel_url = args.kernel_url or local_url(build / "probes" / f"{probe}.img")
        ramdisk_url = None
        test = jobs.monitor_test(t, jobs.PROBE_END)
    else:
        kernel_url = args.kernel_url or local_url(_kernel(args).image)
        ramdisk_url = args.ramdisk_url or local_url(paths["shell" if shell else "linux"])
        test = _testdef_action(args, t) if shell else jobs.monitor_test(t, jobs.LINUX_END)
    prompt = args.prompt if shell else None
    name = args.name or f"avps-cts-{args.device_type}-{args.image.replace(':', '-')}"
    if args.boot == "qemu":
        config = profiles.load(args.target, args.profile)
        port = args.net_echo_port if args.net_echo_port is not None else int(os.environ.get(PORT_ENV, 0))
        seeds = {k.removeprefix(SEED_ENV): v for k, v in os.environ.items() if k.startswith(SEED_ENV)}
        # The initramfs size is declared only when the guest gets the local file unchanged:
        # LAVA appends its overlay to the shell image, and a remote URL is not ours to measure.
        initrd = paths["linux"] if args.image == "linux" and not args.ramdisk_url and paths["linux"].exists() else None
        platform = platform_args(config, Path(args.host_dir or socket_dir(build)), port, seeds, initrd)
        disk_urls = {label: local_url(paths["disks"] / f"{label}.img") for label in platform.disks}
        disk_urls.update(dict(u.split("=", 1) for u in args.disk_url or []))
        job = jobs.qemu_job(name, kernel_url, platform, disk_urls, test, t, ramdisk_url, prompt)
        job["device_type"] = args.device_type
    else:
        make = jobs.uboot_job if args.boot == "u-boot" else jobs.uefi_job
        job = make(args.device_type, name, kernel_url, test, t, ramdisk_url, args.dtb_url, prompt,
                   args.commands or "ramdisk", args.kernel_args or "")
    text = jobs.dump(job, f"LAVA job generated by: avps-cts lava-job {' '.join(sys.argv[2:])}")
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_services(args: argparse.Namespace) -> int:
    command = [a for a in args.command if a != "--"]
    if not command:
        print("avps-cts lava-services: give a command after --", file=sys.stderr)
        return 2
    config = profiles.load(args.target, args.profile)
    return run_with_services(config, Path(args.host_dir or socket_dir(Path(args.build))), command)


def cmd_artifacts(args: argparse.Namespace) -> int:
    """Serve the build and cache folders read-only until interrupted (a lab's artifact host)."""
    server = ArtifactServer(artifact_roots(Path(args.build)), port=args.port, host=args.host)
    print(f"serving job artifacts at {server.base}/ (build/ and cache/ prefixes): render jobs with "
          f"avps-cts lava-job --artifact-base {server.base}; Ctrl-C ends it", flush=True)
    with server:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    print(f"served {len(server.served.fetched)} downloads, refused {len(server.served.refused)} requests")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    manifest = load_manifest(Path(args.build))
    lava = []
    for item in args.lava:
        spec, _, path = item.partition("=")
        label, _, image = spec.rpartition(":")
        lava.append(compare.LavaRun(label or image, image, compare.load_run(Path(path))))
    rows = compare.compare(manifest, compare.load_run(Path(args.direct)), lava)
    print(compare.table(rows, list(dict.fromkeys(j.label for j in lava))))
    broken = compare.lava_problems(lava)
    for problem in broken:
        print(f"LAVA run problem: {problem}")
    return 0 if rows and all(r.ok for r in rows) and not broken else 1


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    i = sub.add_parser("lava-image", help="build the LAVA shell variant of the guest image and blank disks")
    common(i)
    i.add_argument("--target", default="qemu-arm64")
    i.add_argument("--profile", default="default")
    i.add_argument("--kernel")
    i.add_argument("--modules")
    i.set_defaults(func=cmd_image)

    j = sub.add_parser("lava-job", help="write a LAVA job (QEMU, or a u-boot/UEFI board template)")
    common(j)
    j.add_argument("--device-type", required=True, help="LAVA device type: qemu, or your board's")
    j.add_argument("--boot", choices=["qemu", "u-boot", "uefi"], default=None,
                   help="qemu, u-boot (booti) or uefi (UEFI firmware + GRUB); default: qemu for device "
                        "type qemu, else u-boot")
    j.add_argument("--image", default="shell",
                   help="shell (test definition), linux (runs at boot, KTAP monitor), probe:NAME (monitor)")
    j.add_argument("--kernel-url", help="kernel or probe image URL (default: the local build's file)")
    j.add_argument("--ramdisk-url", help="initramfs URL (default: the local build's file)")
    j.add_argument("--artifact-base", metavar="URL",
                   help="name the local build's files by their URL under 'avps-cts lava-artifacts' at URL "
                        "(default: file:// paths, for a worker on this machine)")
    j.add_argument("--dtb-url", help="board device tree URL (boards)")
    j.add_argument("--disk-url", action="append", help="LABEL=URL of a disk image (QEMU; default: blank local disks)")
    j.add_argument("--testdef", choices=["inline", "git"], default="inline")
    j.add_argument("--repository", help="git URL of avps-cts for --testdef git (default: this checkout)")
    j.add_argument("--revision", help="git revision for --testdef git")
    j.add_argument("--prompt", default=images.SHELL_PROMPT)
    j.add_argument("--commands", help="the device type's boot command set (default: ramdisk)")
    j.add_argument("--kernel-args", help="extra kernel arguments on boards (the avps.* platform facts)")
    j.add_argument("--target", default="qemu-arm64", help="platform profile source for QEMU jobs")
    j.add_argument("--profile", default="default")
    j.add_argument("--host-dir", help="where QEMU finds the console echo sockets (default: build/lava/host)")
    j.add_argument("--net-echo-port", type=int, help="host TCP echo port (default: $AVPS_NET_ECHO_PORT)")
    j.add_argument("--kernel")
    j.add_argument("--modules")
    j.add_argument("--name", help="job name")
    j.add_argument("-o", "--output", help="write the job here (default: stdout)")
    for stage, minutes in (("job", 20), ("deploy", 5), ("boot", 5), ("test", 10), ("connection", 2)):
        j.add_argument(f"--{stage}-timeout", type=int, default=minutes, metavar="MIN")
    j.set_defaults(func=lambda a: cmd_job(_default_boot(a)))

    s = sub.add_parser("lava-services", help="run a command (lava-run) with the QEMU job's host services up")
    common(s)
    s.add_argument("--target", default="qemu-arm64")
    s.add_argument("--profile", default="default")
    s.add_argument("--host-dir")
    s.add_argument("command", nargs=argparse.REMAINDER)
    s.set_defaults(func=cmd_services)

    a = sub.add_parser("lava-artifacts", help="serve the build and cache folders over HTTP for LAVA jobs")
    common(a)
    a.add_argument("--port", type=int, default=0, help="TCP port (default: any free one, printed)")
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    a.set_defaults(func=cmd_artifacts)

    c = sub.add_parser("lava-compare", help="compare a direct run with LAVA runs case by case")
    common(c)
    c.add_argument("--direct", required=True, help="results.json of the direct run")
    c.add_argument("--lava", action="append", required=True, metavar="[LABEL:]IMAGE=RESULTS_JSON",
                   help="the image a LAVA job booted (linux or a probe) and the results.json made from it")
    c.set_defaults(func=cmd_compare)


def _default_boot(args: argparse.Namespace) -> argparse.Namespace:
    if args.boot is None:
        args.boot = "qemu" if args.device_type.startswith("qemu") else "u-boot"
    return args
