"""Command palette (``:`` or ctrl+p): the keys of the current screen as commands,
only those that apply right now; and the topics, to jump to (``topic NAME``)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from sokka_tui.render import clean
from stores import TaskStoreError


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


#: The most topics the palette lists.
TOPIC_HITS = 50


def topic_wanted(query: str) -> str:
    """The topic name in what was typed: ``topic NAME`` or just ``NAME``."""
    query = query.strip()
    head, _, rest = query.partition(" ")
    return rest.strip() if head.casefold() == "topic" else query


class TopicCommands(Provider):
    """``:topic NAME`` (or just a name): the matching topics; the one chosen
    opens, from any screen. The topic names are read in a thread worker when
    the palette opens (never a store call on the event loop); while the store
    does not answer, the topics last shown are offered."""

    async def startup(self) -> None:
        # What the topics screen (at the bottom of the stack) showed last, until the store answers.
        shown = [getattr(screen, "stats", None) for screen in self.app.screen_stack]
        self.topics: list[str] = next(([s.topic for s in stats] for stats in shown if isinstance(stats, list)), [])
        worker = self.app.run_worker(self._read_topics, thread=True, group="palette-topics", exit_on_error=False)
        await worker.wait()
        if worker.result is not None:
            self.topics = worker.result

    def _read_topics(self) -> list[str] | None:
        try:
            return [stats.topic for stats in self.app.store.topics()]  # type: ignore[attr-defined]
        except TaskStoreError:  # (an unreachable store: the names last shown are offered)
            return None

    def _open(self, topic: str) -> None:
        from sokka_tui.query import TaskQuery

        self.app.open_tasks(TaskQuery(topic=topic))  # type: ignore[attr-defined]

    def _hit_text(self, topic: str, query: str) -> Content:
        """``Topic: NAME``, the matched letters highlighted; the name as plain
        text (``highlight`` would read markup in it), control characters shown."""
        shown = clean(topic)[:80]
        content = Content(f"Topic: {shown}")
        if query:
            _score, offsets = self.matcher(query).fuzzy_search.match(query, shown)
            for offset in offsets:
                content = content.stylize("bold reverse", offset + 7, offset + 8)
        return content

    async def discover(self) -> Hits:
        for topic in self.topics[:TOPIC_HITS]:
            yield DiscoveryHit(self._hit_text(topic, ""), partial(self._open, topic), text=f"topic {topic}",
                               help="open the topic's tasks")

    async def search(self, query: str) -> Hits:
        wanted = topic_wanted(query)
        if not wanted:
            async for hit in self.discover():
                yield hit
            return
        matcher = self.matcher(wanted)
        scored = [(matcher.match(clean(topic)), topic) for topic in self.topics]
        scored = sorted((pair for pair in scored if pair[0] > 0), key=lambda pair: -pair[0])[:TOPIC_HITS]
        for score, topic in scored:
            # An exact name first, whatever the fuzzy score of the others.
            exact = 1.0 if clean(topic).casefold() == wanted.casefold() else 0.0
            yield Hit(score + exact, self._hit_text(topic, wanted), partial(self._open, topic),
                      text=f"topic {topic}", help="open the topic's tasks")
