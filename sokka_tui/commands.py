"""Command palette (``:`` or ctrl+p): the keys of the current screen as commands,
only those that apply right now."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenCommands(Provider):
    """Lists the enabled bindings of the screen the palette was opened on, by description."""

    def _commands(self) -> list[tuple[str, str, str]]:
        # ``self.screen``, not ``self.app.screen``: while the palette is open the
        # app's screen is the palette itself, whose bindings are not the operator's.
        screen = self.screen
        found = []
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or active.node is not screen:
                continue
            found.append((binding.description, binding.action, key))
        return found

    async def discover(self) -> Hits:
        for description, action, key in self._commands():
            yield DiscoveryHit(description, partial(self.screen.run_action, action), help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, key in self._commands():
            score = matcher.match(description)
            if score > 0:
                run = partial(self.screen.run_action, action)
                yield Hit(score, matcher.highlight(description), run, help=f"key: {key}")
