"""The package layout: every driver a profile names loads, and module-level paths into the repository still point at it after a move."""
from __future__ import annotations

from pathlib import Path

from avps_cts import profiles
from avps_cts.targets import DRIVERS, driver_module

REPO = Path(__file__).resolve().parents[2]


def test_every_profile_names_a_driver_that_loads() -> None:
    for target in profiles.available_targets():
        driver = profiles.load(target).driver
        assert driver in DRIVERS, f"harness/profiles/{target}.yaml: driver '{driver}'"
        assert callable(driver_module(driver).create)


def test_repository_paths_of_the_targets_point_at_this_checkout() -> None:
    from avps_cts.targets.firmware import boot
    from avps_cts.targets.refhv import driver as refhv
    from avps_cts.targets.xen import driver as xen
    assert (xen.REPO / "harness" / "bootstrap.sh").is_file()
    assert refhv.REPO == REPO and xen.REPO == REPO
    assert boot.REPO_BUILD == REPO / "build"
    assert boot.KEY_RELAY.is_file()
