"""Known non-conformance entries scoped to one profile ('<target>/<profile>') add to the target's own list."""
from avps_cts import profiles

I2C = "virtio.i2c.driver_without_zero_length_refused"


def test_profile_entries_add_to_the_target_list() -> None:
    base = profiles.known_nonconformance("qemu-arm64")
    scoped = profiles.known_nonconformance("qemu-arm64", "vhost-user-gpio-i2c")
    assert I2C not in base  # the default profile has no I2C device: its run must not expect this failure
    assert set(base) < set(scoped) and I2C in scoped
    assert "hw/virtio/vhost-user-i2c.c" in scoped[I2C] and "virtio-i2c.tex:177-178" in scoped[I2C]
    assert profiles.known_nonconformance("qemu-arm64", "default") == base


def test_every_scoped_key_names_a_real_target_and_profile() -> None:
    import yaml
    data = yaml.safe_load(profiles.KNOWN_NONCONFORMANCE.read_text())
    for key in data:
        target, _, profile = key.partition("/")
        assert target in profiles.available_targets(), key
        if profile:
            assert profile in profiles.profile_names(target), key
