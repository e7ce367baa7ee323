"""Platform declarations: the README's example is valid, bad ones fail with file:line, and reports use them."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from avps_cts import cli, guest_facts, platform_decl
from avps_cts.results import CaseResult, RunResult, Status


def readme_example(repo: Path) -> str:
    text = (repo / "README.md").read_text()
    block = re.search(r"```yaml\n( *# my-hv\.yaml.*?)\n *```", text, re.S)
    assert block, "README.md has no my-hv.yaml example"
    return textwrap.dedent(block.group(1)) + "\n"


def test_readme_lists_every_fact_and_service_the_guest_reads(repo: Path) -> None:
    text = (repo / "README.md").read_text()
    assert guest_facts.replace_in_readme(text, guest_facts.readme_section()) == text, \
        "README.md is out of date with guest-tests/: run 'make readme-facts'"
    needs = guest_facts.scan()
    assert {"cpus", "mem_mib", "blk_bytes", "net_echo_port"} <= set(needs.facts)
    assert set(needs.services) == {"AVPS-ECHO", "AVPS-FILE", "AVPS-INPUT", "AVPS-SCREEN"}
    assert needs.host_events == ["guest-reset", "guest-shutdown"]


def test_readme_example_declaration_is_valid(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "my-hv.yaml"
    path.write_text(readme_example(repo))
    decl = platform_decl.load(path)
    line = decl.command_line()
    assert "avps.cpus=4" in line and "avps.psci_method=hvc" in line and "avps.offers_gpu=1" in line
    assert "avps.blk_bytes=67108864" in line
    assert "AVPS-FILE" in decl.missing_services(guest_facts.scan())


@pytest.mark.parametrize("change, line, message", [
    ("cpus: 4", "cpus: 4\nram: 12", "unknown key 'ram'"),
    ("cpus: 4", "cpus: four", "positive whole number"),
    ("conduit: hvc", "conduit: svc", "conduit 'svc' is not one of hvc, smc"),
    ("devices: [gpu, input, vsock]", "devices: [gpu, teleport]", "device 'teleport' is not one of"),
    ("facts: {blk_bytes: 67108864}", "facts: {blk_size: 1}", "unknown fact 'blk_size'"),
])
def test_bad_declarations_name_file_and_line(repo: Path, tmp_path: Path, change: str, line: str,
                                             message: str) -> None:
    text = readme_example(repo)
    assert change in text
    bad = text.replace(change, line)
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    expected_line = next(n for n, l in enumerate(bad.splitlines(), 1) if l.startswith(line.splitlines()[-1][:4]))
    with pytest.raises(platform_decl.DeclarationError) as err:
        platform_decl.load(path)
    assert str(err.value).startswith(f"{path}:{expected_line}: ") and message in str(err.value), str(err.value)
    assert cli.main(["platform", "check", str(path)]) == 2


def test_declared_feature_without_device_fails(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "my-hv.yaml"
    path.write_text(readme_example(repo))
    run = RunResult(target="my-hv", cases=[
        CaseResult("virtio.gpu.device_present", Status.SKIP,
                   detail="no virtio-gpu device (ID 16): conditional on the platform offering gpu", program="virtio.gpu"),
        CaseResult("virtio.sound.device_present", Status.SKIP,
                   detail="no virtio-sound device (ID 25): conditional on the platform offering audio",
                   program="virtio.sound"),
        CaseResult("virtio.console.echo_round_trip", Status.FAIL, detail="no reply", program="virtio.console"),
        CaseResult("virtio.fs9p.host_sees_guest_write", Status.FAIL, detail="timeout", program="virtio.fs9p")])
    platform_decl.apply(run, platform_decl.load(path))
    by_id = {c.case_id: c for c in run.cases}
    assert by_id["virtio.gpu.device_present"].status is Status.FAIL
    assert "declares 'gpu'" in by_id["virtio.gpu.device_present"].detail
    assert by_id["virtio.sound.device_present"].status is Status.SKIP  # not declared: a skip stays a skip
    assert "declares no" not in by_id["virtio.console.echo_round_trip"].detail  # AVPS-ECHO is declared
    assert "declares no AVPS-FILE host service" in by_id["virtio.fs9p.host_sees_guest_write"].detail
    assert run.platform["declaration"]["platform"].startswith("my-hv")


def test_run_refuses_a_declaration_the_target_contradicts(repo: Path, build: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "my-hv.yaml"
    path.write_text(readme_example(repo))
    assert cli.main(["run", "--platform", str(path), "--only", "psci", "--build", str(build),
                     "--reports", str(tmp_path / "r")]) == 2
    assert "declares cpus 4, but target qemu-arm64 profile default gives the guest 2" in capsys.readouterr().err


def test_report_with_a_declaration_drops_uefi_cases_a_direct_boot_platform_cannot_run(
        repo: Path, build: Path, tmp_path: Path) -> None:
    import json

    from avps_cts.manifest import load as load_manifest
    from test_run_integrity import probe_log

    manifest = load_manifest(build)
    uefi = [c.case_id for c in manifest.cases if (build / "probes-uefi" / f"{c.image}.efi").exists()]
    assert uefi, "the build has UEFI probe cases"
    decl = tmp_path / "my-hv.yaml"
    decl.write_text(readme_example(repo))
    log = tmp_path / "psci.log"
    log.write_text("\n".join(probe_log(manifest, "psci")) + "\n")
    out = tmp_path / "out"
    cli.main(["report", str(log), "--build", str(build), "--platform", str(decl), "--out", str(out)])
    data = json.loads((out / "results.json").read_text())
    status = {c["case_id"]: c for c in data["cases"]}
    assert all(status[c]["status"] == "skip" and "declares firmware 'direct'" in status[c]["detail"] for c in uefi)
    assert status["virtio.blk.flush"]["status"] == "not-run"  # not in this log: still not-run
    assert data["target"].startswith("my-hv 3.1") and data["platform"]["declaration"]["cpus"] == 4
