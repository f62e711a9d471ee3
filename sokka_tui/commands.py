"""Command palette (``:`` or ctrl+p): the keys of the current screen as commands,
only those that apply right now."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenCommands(Provider):
    """Lists the active screen's enabled bindings by description."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.app.screen
        found = []
        for key, active in self.app.active_bindings.items():
            binding = active.binding
            if not active.enabled or not binding.description or active.node is not screen:
                continue
            found.append((binding.description, binding.action, key))
        return found

    async def discover(self) -> Hits:
        for description, action, key in self._commands():
            yield DiscoveryHit(description, partial(self.app.screen.run_action, action), help=f"key: {key}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, key in self._commands():
            score = matcher.match(description)
            if score > 0:
                run = partial(self.app.screen.run_action, action)
                yield Hit(score, matcher.highlight(description), run, help=f"key: {key}")
