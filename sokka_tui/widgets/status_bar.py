"""The header line: which store, read-only, clock skew, the time zone, and the outage banner."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from sokka_tui.render import clean, format_duration, safe_text, truncate

#: The store label keeps at least this many cells, however narrow the terminal
#: (what comes after it goes off the edge first, as it always did).
MIN_LABEL_CELLS = 60


def middle_cut(text: str, cells: int) -> str:
    """``text`` in at most ``cells`` characters, its middle replaced by ``…`` when
    too long (render.truncate, the console's one cut: the file name stays whole)."""
    return truncate(text, cells, "middle")


class StatusBar(Static):
    """One line: title, store, namespace, READ-ONLY (and why, when the
    credentials made it so), measured clock skew, the zone times are shown in."""

    skew_ms: reactive[int | None] = reactive(None)
    #: ``UTC``, ``Europe/Berlin (+01:00)``: the offset of now, so it is set again on refresh.
    zone_label: reactive[str] = reactive("UTC")

    def __init__(
        self, store_label: str, namespace: str, read_only_label: str, zone_label: str = "UTC", **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.store_label = store_label
        self.namespace = namespace
        self.read_only_label = read_only_label
        self.set_reactive(StatusBar.zone_label, zone_label)

    def render(self) -> Text:
        rest = self._after_label()
        text = Text.assemble(("sokka-tui", "bold"), "  ")
        # The store (its URL, password hidden) in full when the line has room, so it
        # can be copied (`sokka --url ...`); else cut in the middle, keeping the file name.
        room = max(MIN_LABEL_CELLS, (self.size.width or 80) - len("sokka-tui  ") - rest.cell_len)
        text.append(middle_cut(clean(self.store_label), room), style="dim")
        text.append_text(rest)
        return text

    def _after_label(self) -> Text:
        text = Text("  ns ", end="")
        text.append_text(safe_text(self.namespace, "bold"))
        if self.read_only_label:
            text.append("  ")
            text.append(f" {self.read_only_label} ", style="bold reverse red")
        if self.skew_ms is not None:
            sign = "+" if self.skew_ms >= 0 else "-"
            style = "yellow" if abs(self.skew_ms) >= 1000 else "dim"
            text.append(f"  store clock {sign}{format_duration(abs(self.skew_ms))}", style=style)
        text.append(f"  tz {self.zone_label}", style="dim")
        return text


class OutageBanner(Static):
    """Shown while the store is unreachable (the console keeps retrying), and
    from the moment the store is found reset (wiped) on."""

    def show_outage(self, message: str, since: str) -> None:
        text = Text.assemble(("STORE UNAVAILABLE ", "bold"), f"since {since}: ")
        text.append_text(safe_text(message, max_length=160))
        text.append("  Retrying; the view shows the last data loaded.")
        self.update(text)
        self.display = True

    def show_reset(self, message: str) -> None:
        """The store was wiped while the console watched it: said until the console quits."""
        text = Text.assemble(("STORE RESET ", "bold"))
        text.append_text(safe_text(message, max_length=240))
        text.append("  Workers and consoles connected to it lost what they held.")
        self.update(text)
        self.display = True

    def clear_outage(self) -> None:
        self.display = False
