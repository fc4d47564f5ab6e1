"""``python -m harvest_connect.cli``."""

import sys

from .parser import main

sys.exit(main())
