"""Targets: one module per platform behind one small interface (prepare, boot, stream the console, stop)."""
