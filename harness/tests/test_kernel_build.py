"""The suite kernel's build logic on the host: fragments merged and checked, failures named, the cache entry never half-written."""
from __future__ import annotations

from pathlib import Path

import pytest

from avps_cts import kernel_build
from avps_cts.kernel import select_kernel
from avps_cts.cache import MissingToolError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_fragments_merge_and_conflicts_name_both_files(tmp_path: Path) -> None:
    a = write(tmp_path / "a" / "config", "# platform\nCONFIG_VIRTIO=y\nCONFIG_LOCALVERSION=\"-x\"\n")
    b = write(tmp_path / "b" / "config", "CONFIG_VIRTIO=y\n# CONFIG_MODULES is not set\n")
    merged = kernel_build.merge_fragments([a, b])
    assert merged.options["CONFIG_VIRTIO"][0] == "y"
    assert merged.options["CONFIG_MODULES"][0] == "n"
    assert "# CONFIG_MODULES is not set\n" in merged.text() and 'CONFIG_LOCALVERSION="-x"\n' in merged.text()
    c = write(tmp_path / "c" / "config", "CONFIG_VIRTIO=m\n")
    with pytest.raises(kernel_build.KernelBuildError, match=r"CONFIG_VIRTIO: .*a/config asks for y, .*c/config for m"):
        kernel_build.merge_fragments([a, c])


def test_a_malformed_fragment_line_is_named(tmp_path: Path) -> None:
    bad = write(tmp_path / "config", "CONFIG_OK=y\nVIRTIO_BLK=y\n")
    with pytest.raises(kernel_build.KernelBuildError, match=r"config:2: not a kernel config line: 'VIRTIO_BLK=y'"):
        kernel_build.merge_fragments([bad])


def test_an_option_that_does_not_survive_olddefconfig_is_an_error(tmp_path: Path) -> None:
    frag = kernel_build.merge_fragments([write(tmp_path / "config",
                                               "CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=\"s\"\n# CONFIG_D is not set\n")])
    dotconfig = kernel_build.parse_dotconfig("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"t\"\nCONFIG_D=y\n")
    problems = kernel_build.unmet_options(frag, dotconfig)
    assert len(problems) == 3
    assert any(p.startswith("CONFIG_B=y (") and p.endswith("ended up unset") for p in problems)
    assert any(p.startswith('CONFIG_C="s"') and p.endswith('ended up ="t"') for p in problems)
    assert any(p.startswith("CONFIG_D=n") and p.endswith("ended up =y") for p in problems)


def test_the_repository_fragments_merge_and_the_hash_follows_them(tmp_path: Path) -> None:
    files = kernel_build.fragment_files()
    assert files[0].name == "config" and files[0].parent.name == "guest-tests"
    merged = kernel_build.merge_fragments(files)
    for option in ("CONFIG_VIRTIO_MMIO", "CONFIG_SND_VIRTIO", "CONFIG_GPIO_VIRTIO", "CONFIG_I2C_VIRTIO",
                   "CONFIG_ARM_SCMI_TRANSPORT_VIRTIO", "CONFIG_VIRTIO_IOMMU", "CONFIG_VIRTIO_FS",
                   "CONFIG_VIRTIO_VSOCKETS", "CONFIG_ARM_SBSA_WATCHDOG", "CONFIG_EFI_STUB", "CONFIG_ACPI"):
        assert merged.options[option][0] == "y", option
    changed = kernel_build.merge_fragments(files + [write(tmp_path / "x" / "config", "CONFIG_EXTRA=y\n")])
    assert merged.digest("gcc 12") != changed.digest("gcc 12")
    assert merged.digest("gcc 12") != merged.digest("gcc 13")
    assert merged.digest("gcc 12") == kernel_build.merge_fragments(files).digest("gcc 12")


def test_a_missing_build_tool_is_named() -> None:
    assert kernel_build._missing_tool(["  LEX     scripts/kconfig/lexer.lex.c",
                                       "/bin/sh: 1: flex: not found"]) == "flex"
    assert kernel_build._missing_tool(["make[2]: bison: No such file or directory"]) == "bison"
    assert kernel_build._missing_tool(["scripts/x.c:1: error: foo.h: No such file or directory"]) is None


def test_failed_make_names_the_tool_and_leaves_no_cache_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "src"
    write(tree / "Makefile", "Image:\n\t@echo '  LEX     lexer.lex.c'; no-such-flex-tool --version\n")
    with pytest.raises(kernel_build.KernelBuildError, match=r"'no-such-flex-tool' not found"):
        kernel_build._make(tree, tmp_path / "out", ["Image"], tmp_path / "build.log", lambda _: None)
    assert "no-such-flex-tool" in (tmp_path / "build.log").read_text()


def test_the_cache_entry_appears_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = write(tmp_path / "Image", "kernel")
    dotconfig = write(tmp_path / ".config", "CONFIG_A=y\n")
    entry = kernel_build.SuiteKernel(tmp_path / "cache" / "6.1-abc", "6.1", "abc")
    entry.entry.parent.mkdir()
    kernel_build._store(entry, image, dotconfig, {"kernel_release": "6.1.0-avps"})
    assert entry.image.read_text() == "kernel" and entry.info()["kernel_release"] == "6.1.0-avps"
    broken = kernel_build.SuiteKernel(tmp_path / "cache" / "6.1-def", "6.1", "def")
    with pytest.raises(kernel_build.KernelBuildError, match="cannot write the kernel cache entry"):
        kernel_build._store(broken, tmp_path / "no-such-Image", dotconfig, {})
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["6.1-abc"]


def test_kernel_choice_words_and_paths(tmp_path: Path) -> None:
    with pytest.raises(MissingToolError, match="no such file"):
        select_kernel(str(tmp_path / "Image"))
    with pytest.raises(MissingToolError, match="--modules goes with --kernel PATH"):
        select_kernel("debian", str(tmp_path))
    image = write(tmp_path / "Image", "x")
    assert select_kernel(str(image)).image == image
