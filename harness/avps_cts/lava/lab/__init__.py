"""A throw-away local LAVA lab (PostgreSQL, lava-server, lava-worker) for 'make lava-lab-check', its client and its checks."""
