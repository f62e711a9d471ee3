"""``pip install sokka-tui`` has no database driver: SQLite works alone, and a
PostgreSQL or Redis URL without its driver is one line naming the extra to
install, exit 2, never a traceback. The drivers are hidden from a child
process by making their import fail, as a missing package does."""

from __future__ import annotations

import subprocess
import sys

import pytest

_RUN = """
import sys
for name in {hidden!r}:
    sys.modules[name] = None  # import raises ImportError, as for a package not installed
from sokka_tui.ops.main import main
sys.exit(main({argv!r}))
"""


def _sokka(argv: list[str], hidden: list[str]) -> subprocess.CompletedProcess[str]:
    code = _RUN.format(hidden=hidden, argv=argv)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("url", "hidden", "extra"),
    [
        ("postgresql://root@127.0.0.1:5432/test", ["psycopg", "psycopg_pool"], "postgres"),
        ("redis://127.0.0.1:6379/0", ["redis", "hiredis"], "redis"),
    ],
)
def test_a_url_whose_driver_is_missing_names_the_extra(url, hidden, extra):
    result = _sokka(["--url", url, "topics"], hidden)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"pip install 'sokka-tui[{extra}]'" in lines[0]


def test_sqlite_needs_no_driver(tmp_path):
    url = f"sqlite://{tmp_path}/alone.db"
    hidden = ["psycopg", "psycopg_pool", "redis", "hiredis"]
    created = _sokka(["--url", url, "create", "mail", "--data", "{}", "--yes"], hidden)
    assert created.returncode == 0, created.stderr
    listed = _sokka(["--url", url, "topics", "--json"], hidden)
    assert listed.returncode == 0 and '"mail"' in listed.stdout, listed.stderr
