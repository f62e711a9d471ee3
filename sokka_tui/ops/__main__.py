"""``python -m sokka_tui.ops``."""

import sys

from sokka_tui.ops.main import main

sys.exit(main())
