"""Report writers: results in, files out. They never re-run anything."""
