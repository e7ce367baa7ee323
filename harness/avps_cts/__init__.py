"""avps-cts harness: builds guest images, boots targets, parses KTAP, maps results to requirements."""

__version__ = "0.1.0"
