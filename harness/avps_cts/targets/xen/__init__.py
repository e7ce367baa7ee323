"""Xen dom0less target: the driver and its helpers (the QEMU session, the dom0less DT, the console demultiplexer, the domain's end)."""
from .driver import XenTarget, create

__all__ = ["XenTarget", "create"]
