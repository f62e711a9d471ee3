"""A dialog's button whose focus cannot be missed.

Next to a solid action button, Textual's focused default button (a reversed
label) is easy to miss, and the focused one is what enter presses: the
focused button here also gets an arrow before its label and a heavy border
(app.tcss), so which one enter presses shows in any colour depth.
"""

from __future__ import annotations

from textual.widgets import Button

MARK = "▶ "
_BLANK = " " * len(MARK)


class DialogButton(Button):
    """A ``Button`` that shows ``▶`` before its label while it has the focus."""

    def __init__(self, label: str, **kwargs) -> None:
        # The same width focused or not: the buttons never shift as the focus moves.
        super().__init__(_BLANK + label, **kwargs)
        self.plain_label = label

    def on_focus(self) -> None:
        self.label = MARK + self.plain_label

    def on_blur(self) -> None:
        self.label = _BLANK + self.plain_label
