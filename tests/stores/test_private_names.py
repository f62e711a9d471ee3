"""The drivers' private names the stores rely on still exist in the installed
versions. Each is listed in the README's dependency notes; when one of these
tests fails, its message names what is gone, and the upper bound in
pyproject.toml has to stay below that version until the code is changed."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

# Each driver is an optional extra: without it there is nothing of it to check.
psycopg = pytest.importorskip("psycopg")
redis = pytest.importorskip("redis")


def _need(owner: object, name: str, where: str, version: str) -> Any:
    if not hasattr(owner, name):
        pytest.fail(f"{where}.{name} is gone in {version}; the code that uses it must change", pytrace=False)
    return getattr(owner, name)


PSYCOPG = f"psycopg {psycopg.__version__}"
REDIS = f"redis-py {redis.__version__}"


def test_psycopg_wait_timeout_exists():
    """stores/postgres/deadline.py: the client deadline on every server round trip."""
    wait_timeout = _need(psycopg.errors, "_WaitTimeout", "psycopg.errors", PSYCOPG)
    assert isinstance(wait_timeout, type) and issubclass(wait_timeout, Exception)
    wait = _need(psycopg.Connection, "wait", "psycopg.Connection", PSYCOPG)
    if "timeout" not in inspect.signature(wait).parameters:
        pytest.fail(f"psycopg.Connection.wait takes no timeout in {PSYCOPG}", pytrace=False)
    # The store's module checks the same at import, and imports here.
    importlib.import_module("stores.postgres.deadline")


def test_psycopg_error_from_result_exists():
    """stores/postgres/prepared.py: an error reply becomes psycopg's exception for
    its SQLSTATE (a name without an underscore, but not in psycopg's docs)."""
    error_from_result = _need(psycopg.errors, "error_from_result", "psycopg.errors", PSYCOPG)
    parameters = inspect.signature(error_from_result).parameters
    if list(parameters)[:2] != ["result", "encoding"]:
        pytest.fail(f"psycopg.errors.error_from_result takes {list(parameters)} in {PSYCOPG}", pytrace=False)


def test_redis_parser_error_table_exists():
    """stores/redis/direct.py: error replies become redis-py's exception classes."""
    try:
        parsers = importlib.import_module("redis._parsers")
    except ImportError:
        pytest.fail(f"the module redis._parsers is gone in {REDIS}", pytrace=False)
    base_parser = _need(parsers, "BaseParser", "redis._parsers", REDIS)
    parse_error = _need(base_parser, "parse_error", "redis._parsers.BaseParser", REDIS)
    error = parse_error("NOSCRIPT No matching script.")
    assert isinstance(error, redis.exceptions.NoScriptError)


def test_redis_connection_internals_exist():
    """stores/redis/direct.py: a pooled connection's socket and its reply encoding."""
    conn = redis.connection.Connection()  # not connected: nothing is sent anywhere
    _need(conn, "_sock", "redis.connection.Connection", REDIS)
    encoder = _need(conn, "encoder", "redis.connection.Connection", REDIS)
    for name in ("encoding", "encoding_errors", "decode_responses"):
        _need(encoder, name, "redis.connection.Connection.encoder", REDIS)
    for name in ("connect", "disconnect"):
        _need(conn, name, "redis.connection.Connection", REDIS)
