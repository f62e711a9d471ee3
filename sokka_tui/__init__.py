"""sokka-tui: a terminal operations console for sokka task stores.

Importing this package loads nothing heavy: the demo's worker processes import
``sokka_tui.demo`` and must not pay for Textual.
"""

__version__ = "0.1.0"
