"""The redis backend from Python: a throwaway redis-server on a free loopback port (and on
localhost:6379, the original's default, when that port is free)."""

from __future__ import annotations

import json
import socket
import time

import pytest

import nadb
from nadb.storage_backends.redis import RedisStorage

from conftest import RedisServer


@pytest.fixture
def redis_store(redis_server, tmp_path):
    store = nadb.KeyValueStore(str(tmp_path), "db", 1, f"ns{time.monotonic_ns()}", None,
                               storage_backend="redis", redis_url=redis_server.url)
    yield store
    store.flushdb()
    store.close()


def test_values_tags_ttl_and_queries(redis_store):
    assert redis_store.is_redis_backend and redis_store.capabilities.is_distributed
    redis_store.set("user1", b"1", ["music", "rock"])
    redis_store.set("user2", b"2" * 5000, ["music", "jazz"])
    redis_store.set_with_ttl("gone", b"x", 1, ["music"])
    assert redis_store.get("user2") == b"2" * 5000
    assert set(redis_store.query_by_tags(["music"])) == {"user1", "user2", "gone"}
    time.sleep(1.2)
    with pytest.raises(KeyError):
        redis_store.get("gone")
    assert redis_store.query_by_tags_advanced(["music"]).keys == ["user1", "user2"]
    assert redis_store.list_all_tags() == {"music": 2, "rock": 1, "jazz": 1}
    assert redis_store.complex_query([{"field": "tags", "operator": "not", "values": ["rock"]}]).keys == ["user2"]
    redis_store.delete("user1")
    assert len(redis_store) == 1


def test_transactions_backups_and_stats(redis_store):
    redis_store.set("a", b"1")
    with pytest.raises(ZeroDivisionError):
        with redis_store.transaction() as tx:
            tx.set("b", b"2")
            1 / 0
    assert "b" not in redis_store
    with redis_store.transaction() as tx:
        tx.set("b", b"2", ["t"])
    backup = redis_store.create_backup()
    redis_store.flushdb()
    redis_store.restore_backup(backup.backup_id)
    assert redis_store.get("a") == b"1" and redis_store.get("b") == b"2"
    stats = redis_store.get_stats()
    assert stats["count"] == 2 and stats["backend"] == "redis"
    assert stats["storage"]["pool"]["created"] >= 1
    json.dumps(stats, default=lambda o: o.__dict__)


def test_an_unreachable_server_is_a_connection_error_not_a_missing_key(redis_server, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(nadb.BackendUnavailable) as raised:  # at open, as in the original
        nadb.KeyValueStore(str(tmp_path), "db", 1, "ns", None, storage_backend="redis",
                           storage_options={"host": "127.0.0.1", "port": port, "socket_timeout": 1})
    assert isinstance(raised.value, ConnectionError) and str(port) in str(raised.value)


def test_assigning_storage_reopens_the_store_on_that_server(redis_server, tmp_path):
    store = nadb.KeyValueStore(str(tmp_path), "db", 1, "swap", None)
    store.set("on-fs", b"1")
    store.storage = RedisStorage(base_path=str(tmp_path), host="127.0.0.1", port=redis_server.port, db=0)
    assert store.is_redis_backend and store.storage_backend == "redis"
    assert "on-fs" not in store
    store.set("on-redis", b"2")
    assert isinstance(store.storage, RedisStorage) and store.storage.options["redis_port"] == redis_server.port
    store.flushdb()
    store.close()


def test_default_redis_is_localhost_6379_db_0(tmp_path):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", 6379))
        except OSError:
            pytest.skip("port 6379 is taken on this machine: cannot start a throwaway server there")
    server = RedisServer(str(tmp_path), port=6379)
    try:
        store = nadb.KeyValueStore(str(tmp_path), "db", 1, "ns", None, storage_backend="redis")
        store.set("k", b"v")
        assert store.get("k") == b"v"
        with socket.create_connection(("127.0.0.1", 6379)) as s:
            s.sendall(b"SELECT 0\r\nDBSIZE\r\n")
            time.sleep(0.1)
            assert b":0" not in s.recv(100).split(b"\r\n")[1]
        store.close()
    finally:
        server.stop()
