"""`python -m tradetui`."""

import sys

from tradetui.cli import main

sys.exit(main())
