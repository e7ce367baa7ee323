"""LAVA integration: guest image variant, job generator, host services for local lava-run, results reader, comparison."""
