"""The key footer, rebuilt only when the keys it shows change.

Textual's ``Footer`` recomposes all its keys (a widget each, with styles to
compute) every time a screen refreshes its bindings, which our screens do on
every load and cursor move. This one remembers what it last showed and skips
the rebuild when nothing visible changed: the same widgets, far less work on
the event loop (start-up, refresh ticks, scrolling).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """``textual.widgets.Footer`` without rebuilds that would show the same keys."""

    _shown: tuple | None = None

    def __init__(self, *, show_command_palette: bool = False, **kwargs) -> None:
        # The palette's keys (``:``, ctrl+p) are in help (``?``), not on every footer.
        super().__init__(show_command_palette=show_command_palette, **kwargs)

    def _keys(self, screen: Screen) -> tuple:
        """Everything ``compose`` reads from the bindings, so equal keys mean an equal footer."""
        return (
            self.compact,
            self.show_command_palette,
            tuple(
                (key, binding.action, binding.description, binding.show, binding.group, enabled, tooltip)
                for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
            ),
        )

    def compose(self):
        if self._bindings_ready:
            self._shown = self._keys(self.screen)
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        if (
            self._shown is not None
            and self.is_attached
            and screen is self.screen
            and self._keys(screen) == self._shown
        ):
            return
        super().bindings_changed(screen)
