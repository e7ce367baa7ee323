"""Entry point: python3 -m avps_cts."""
import sys

from .cli import main

sys.exit(main())
