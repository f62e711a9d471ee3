"""``python -m sokka_tui``."""

import sys

from sokka_tui.cli import main

sys.exit(main())
