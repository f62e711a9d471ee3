"""Contexts: named stores in config.toml, for ``sokka`` and ``sokka-tui`` alike."""

from __future__ import annotations

import pytest

from sokka_tui import cli
from sokka_tui.contexts import ContextError, config_path, load_context
from stores import TaskStatus


@pytest.fixture
def config(tmp_path, monkeypatch, store, store_url):
    """A config with a writable and a read-only context for this test's store."""
    path = tmp_path / "config.toml"
    path.write_text(
        f'[contexts.dev]\nurl = "{store_url}"\nnamespace = "{store.namespace}"\n\n'
        f'[contexts.prod]\nurl = "{store_url}"\nnamespace = "{store.namespace}"\nread_only = true\n'
    )
    monkeypatch.setenv("SOKKA_CONFIG", str(path))
    return path


def _running(store):
    store.create_task({"topic": "mail", "data": 1})
    return store.reserve_task("mail", "w-1")


def test_a_context_names_the_store(sokka, store, config):
    task = _running(store)
    result = sokka("tasks", "mail", "--context", "dev", "--jsonl", target=False)
    assert result.code == 0 and task.task_id in result.out
    # Before the subcommand works too.
    assert sokka("--context", "prod", "task", task.task_id, target=False).code == 0


def test_a_read_only_context_refuses_writes_without_allow_write(sokka, store, config):
    task = _running(store)
    refused = sokka("revoke", task.task_id, "--context", "prod", "--yes", target=False)
    assert refused.code == 2 and "'prod' is read-only" in refused.err and "--allow-write" in refused.err
    assert store.task(task.task_id) == task
    assert sokka("leased", "--context", "prod", target=False).code == 0  # reads are fine
    allowed = sokka("revoke", task.task_id, "--context", "prod", "--allow-write", "--yes", target=False)
    assert allowed.code == 0 and store.task(task.task_id).status == TaskStatus.STARTING
    flagged = sokka("terminate", task.task_id, "--context", "dev", "--read-only", "--allow-write", "--yes",
                    target=False)
    assert flagged.code == 2  # --read-only always wins


def test_unknown_or_broken_contexts_exit_2(sokka, config, tmp_path, monkeypatch):
    unknown = sokka("topics", "--context", "staging", target=False)
    assert unknown.code == 2 and "unknown context 'staging'" in unknown.err and "dev, prod" in unknown.err
    assert unknown.err.count("\n") == 1
    config.write_text("[contexts.dev\nurl=")
    broken = sokka("topics", "--context", "dev", target=False)
    assert broken.code == 2 and "not valid TOML" in broken.err and broken.err.count("\n") == 1
    config.write_text('[contexts.dev]\nurl = "sqlite://x.db"\nreadonly = true\n')
    typo = sokka("topics", "--context", "dev", target=False)
    assert typo.code == 2 and "unknown key(s) readonly" in typo.err
    monkeypatch.setenv("SOKKA_CONFIG", str(tmp_path / "missing.toml"))
    missing = sokka("topics", "--context", "dev", target=False)
    assert missing.code == 2 and "no config file" in missing.err


def test_config_path_order(monkeypatch, tmp_path):
    monkeypatch.setenv("SOKKA_CONFIG", str(tmp_path / "a.toml"))
    assert config_path() == tmp_path / "a.toml"
    monkeypatch.delenv("SOKKA_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "sokka" / "config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_path() == tmp_path / "home" / ".config" / "sokka" / "config.toml"
    with pytest.raises(ContextError, match="no config file"):
        load_context("x")


def test_password_in_a_context_is_never_shown(sokka, tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[contexts.x]\nurl = "postgresql://root:hunter2-pw@127.0.0.1:1/test"\n')
    monkeypatch.setenv("SOKKA_CONFIG", str(path))
    result = sokka("topics", "--context", "x", "--timeout", "2", target=False)
    assert result.code == 2 and "hunter2-pw" not in result.err and result.err.count("\n") == 1


def test_sokka_tui_takes_contexts_too(store, config, monkeypatch, capsys):
    opened = {}

    class FakeApp:
        def run(self):
            pass

    def build_app(store, **kwargs):
        opened.update(read_only=store.read_only, namespace=store.namespace, label=kwargs["store_label"])
        return FakeApp()

    monkeypatch.setattr("sokka_tui.app.build_app", build_app)
    assert cli.main(["--context", "prod"]) == 0
    assert opened["read_only"] is True and opened["namespace"] == store.namespace
    assert opened["label"].startswith("prod (")
    assert cli.main(["--context", "prod", "--allow-write"]) == 0 and opened["read_only"] is False
    assert cli.main(["--context", "dev"]) == 0 and opened["read_only"] is False
    capsys.readouterr()
    assert cli.main(["--context", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sokka-tui: error: unknown context 'nope'") and err.count("\n") == 1
