"""Fixtures of the ``sokka`` suite: the command run in-process against a real store.

``sokka(*args)`` runs ``main([...])`` with ``--url`` and ``--namespace`` of this
test's store appended, and returns ``(code, stdout, stderr)``. Unexpected
exceptions are not turned into exit codes here (``SOKKA_DEBUG=1``), so a bug
fails the test with its traceback.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest

from sokka_tui.ops.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


class Terminal(io.StringIO):
    """A stdin that says it is a terminal, answering ``answer`` (and calling
    ``before_answer`` first, to change the store while the prompt is open)."""

    def __init__(self, answer: str, before_answer=None) -> None:
        super().__init__(answer)
        self.before_answer = before_answer
        self.asked = 0

    def isatty(self) -> bool:
        return True

    def readline(self, *args) -> str:
        self.asked += 1
        if self.before_answer is not None:
            self.before_answer()
        return super().readline(*args)


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SOKKA_DEBUG", "1")
    monkeypatch.setenv("SOKKA_CONFIG", str(tmp_path / "no-such-config.toml"))
    monkeypatch.delenv("SOKKA_STORE_URL", raising=False)
    monkeypatch.setattr("sys.stdin", NotATerminal(""))


@pytest.fixture
def store(make_store):
    """The test's store, as workers and tests use it (no operator)."""
    return make_store(lease_time_ms=60_000)


@pytest.fixture
def sokka(store, store_url, capsys, monkeypatch):
    def run(*args: str, stdin=None, target: bool = True) -> Result:
        monkeypatch.setattr("sys.stdin", stdin if stdin is not None else NotATerminal(""))
        capsys.readouterr()
        extra = ["--url", store_url, "--namespace", store.namespace] if target else []
        code = main([*args, *extra])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
