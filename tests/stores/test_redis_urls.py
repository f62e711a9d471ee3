"""Redis URL mistakes an operator makes: a database that is not a whole number is
refused in one sentence (redis-py would quietly use database 0); a password the
server does not need is accepted, with a warning (``Store.warnings``)."""

from __future__ import annotations

import socket

import pytest

import stores
from stores import InvalidArgument, StoreUnavailable
from stores.redis.connection import PASSWORD_IGNORED
from tests.private_servers import PrivateRedis
from tests.server_users import redis_user, with_credentials
from tests.servers import REDIS_URL, drop_namespace, new_namespace


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("scheme", ["redis", "rediss", "redis+cluster"])
@pytest.mark.parametrize("database", ["abc", "-1", "1.5", "0x1", "0/extra", "%2D1", " 1"])
def test_a_database_that_is_not_a_whole_number_is_refused(scheme, database):
    url = f"{scheme}://:s3cret@127.0.0.1:{_closed_port()}/{database}"  # nothing listens: refused first
    with pytest.raises(InvalidArgument) as caught:
        stores.open_store(url, timeout=2)
    message = str(caught.value)
    assert message.startswith("The Redis URL's database must be a whole number from 0 up")
    assert "\n" not in message and "s3cret" not in message and message.count(". ") == 0


@pytest.mark.redis
@pytest.mark.parametrize("path", ["", "/", "/0", "/00", "/%30"])
def test_whole_number_databases_open(path):
    base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
    namespace = new_namespace("db")
    try:
        with stores.open_store(base + path, namespace=namespace, timeout=5) as store:
            assert store.topics() == [] and store.warnings == ()
    finally:
        drop_namespace("redis", namespace)


def _needs_no_password(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        return bool(client.ping())
    except redis.AuthenticationError:
        return False
    finally:
        client.close()


@pytest.mark.redis
def test_a_password_the_server_does_not_need_is_a_warning():
    if not _needs_no_password(REDIS_URL):
        pytest.skip("the shared Redis asks for a password")
    namespace = new_namespace("pw")
    try:
        wrong = with_credentials(REDIS_URL, "", "WrongPw")
        assert wrong.startswith("redis://:WrongPw@")
        with stores.open_store(wrong, namespace=namespace, timeout=5) as store:
            assert store.warnings == (PASSWORD_IGNORED,)
            assert PASSWORD_IGNORED == "the server requires no password; the one given was ignored"
            store.create_task({"topic": "x"})  # it works: the password was only ignored
        with stores.open_store(with_credentials(REDIS_URL, "default", "WrongPw"), namespace=namespace) as store:
            assert store.warnings == (PASSWORD_IGNORED,)
        with redis_user(f"~{namespace}:*", "+@all") as (user, password), \
                stores.open_store(with_credentials(REDIS_URL, user, password), namespace=namespace) as store:
            assert store.warnings == ()  # a named user's password is checked by the server
    finally:
        drop_namespace("redis", namespace)


def test_a_password_the_server_needs_is_no_warning(tmp_path):
    with PrivateRedis(tmp_path, extra_args=("--requirepass", "RightPw")) as server:
        right = server.url.replace("redis://", "redis://:RightPw@")
        with stores.open_store(right, timeout=5) as store:
            assert store.warnings == ()
        with pytest.raises(StoreUnavailable) as caught:
            stores.open_store(right.replace("RightPw", "WrongPw"), timeout=5)
        assert "WrongPw" not in str(caught.value)
