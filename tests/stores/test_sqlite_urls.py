"""SQLite URLs: everything after ``sqlite://`` is the file's path, as written, and
any number of leading slashes (``sqlite:///a``, ``sqlite:////a``) name the same
absolute file; read-only and writable opens agree on which file that is, for any
characters in the path."""

from __future__ import annotations

from pathlib import Path

import pytest

import stores
from stores import StoreUnavailable
from stores.sqlite.store import path_from_url

#: Characters that mean something in a URL or a ``file:`` URI, in a directory and a file name.
AWKWARD = ["plain", "with space", "quest?ion", "hash#tag", "per%25cent", "all ?#%& =;", "ünï"]


def _url(path: Path, slashes: int = 0) -> str:
    """``sqlite://`` + ``path`` (absolute, so it starts with one ``/``) with ``slashes`` more."""
    return "sqlite://" + "/" * slashes + str(path)


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///var/x.db", "/var/x.db"),
        ("sqlite:////var/x.db", "/var/x.db"),
        ("sqlite://///var/x.db", "/var/x.db"),
        ("sqlite://x.db", "x.db"),
        ("sqlite://dir/x.db", "dir/x.db"),
        ("sqlite://:memory:", ":memory:"),
        ("sqlite:///a b/c?d#e%20f.db", "/a b/c?d#e%20f.db"),
        ("SQLite:///var/x.db", "/var/x.db"),
    ],
)
def test_path_from_url(url, path):
    assert path_from_url(url) == path


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:"])
def test_a_url_without_a_path_is_refused(url):
    with pytest.raises((StoreUnavailable, stores.InvalidArgument)):
        stores.open_store(url)


def test_read_only_open_of_a_four_slash_url_sees_what_a_three_slash_url_wrote(tmp_path):
    path = tmp_path / "tasks.db"
    with stores.open_store(_url(path)) as writer:
        task = writer.create_task({"topic": "t", "data": {"n": 1}})
    with stores.open_store(_url(path, 1), read_only=True) as reader:
        assert reader.task(task.task_id) == task
    with stores.open_store(_url(path, 1)) as writer:  # and writable, the same file
        assert writer.task(task.task_id) == task


@pytest.mark.parametrize("name", AWKWARD)
@pytest.mark.parametrize("slashes", [0, 1])
def test_awkward_characters_in_the_path(tmp_path, name, slashes):
    directory = tmp_path / name
    directory.mkdir()
    path = directory / f"{name}.db"
    with stores.open_store(_url(path, slashes)) as writer:
        task = writer.create_task({"topic": "t"})
    assert path.exists()  # that file, not one named after a part of the path
    assert [p.name for p in tmp_path.iterdir()] == [name]
    with stores.open_store(_url(path, slashes), read_only=True) as reader:
        assert reader.task(task.task_id) == task
        with pytest.raises(stores.ReadOnlyStore):
            reader.create_task({"topic": "t"})


def test_read_only_open_of_a_relative_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub dir").mkdir()
    with stores.open_store("sqlite://sub dir/rel?.db") as writer:
        task = writer.create_task({"topic": "t"})
    assert (tmp_path / "sub dir" / "rel?.db").exists()
    with stores.open_store("sqlite://sub dir/rel?.db", read_only=True) as reader:
        assert reader.task(task.task_id) == task


def test_read_only_open_of_a_missing_file_names_it(tmp_path):
    path = tmp_path / "absent #1.db"
    with pytest.raises(StoreUnavailable) as caught:
        stores.open_store(_url(path, 1), read_only=True)
    assert str(path) in str(caught.value)
    assert not path.exists()


def test_memory_store_still_works():
    with stores.open_store("sqlite://:memory:") as store:
        task = store.create_task({"topic": "t"})
        assert store.task(task.task_id) == task
