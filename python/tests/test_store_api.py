"""Every KeyValueStore method's results and errors against the original API (PYTHON_API.md),
with this package's corrections (docs/PYTHON.md)."""

from __future__ import annotations

import json
import os
import time

import pytest

import nadb
from nadb import KeyValueStore, KeyValueSync, QueryResult


def test_constructor_takes_the_original_positional_and_keyword_forms(tmp_path):
    sync = KeyValueSync(1)
    sync.start()
    positional = KeyValueStore(str(tmp_path), "db1", 1, "ovo", sync, True, "fs", True, True, True, 1000)
    keyword = KeyValueStore(data_folder_path=tmp_path, db="db2", buffer_size_mb=0.5, namespace="test",
                            sync=sync, compression_enabled=False, storage_backend="fs",
                            enable_transactions=True, enable_backup=True, enable_indexing=True, cache_size=10)
    positional.set("k", b"in db1")
    keyword.set("k", b"in db2")
    assert positional.get("k") == b"in db1" and keyword.get("k") == b"in db2"
    assert positional.name == "db1:ovo" and positional.db == "db1" and positional.namespace == "ovo"
    assert positional.sync is sync and sync.status()["registered_stores"] == 2
    assert positional.is_redis_backend is False and positional.use_buffering is True
    assert positional.capabilities.is_persistent and positional.capabilities.name == "fs"
    positional.close()
    keyword.close()
    sync.sync_exit()


def test_constructor_refuses_bad_arguments_clearly(tmp_path):
    with pytest.raises(ValueError, match="storage backend 'memcache'"):
        KeyValueStore(str(tmp_path), "db", 1, "ns", None, storage_backend="memcache")
    with pytest.raises(ValueError, match="db"):
        KeyValueStore(str(tmp_path), "bad/db", 1, "ns", None)
    with pytest.raises(TypeError, match="namespace"):
        KeyValueStore(str(tmp_path), "db", 1, 7, None)
    with pytest.raises(TypeError, match="sync"):
        KeyValueStore(str(tmp_path), "db", 1, "ns", "not a sync")
    with pytest.raises(ValueError, match="unknown Redis setting 'hots'"):
        KeyValueStore(str(tmp_path), "db", 1, "ns", None, storage_options={"hots": "x"})
    assert not (tmp_path / "bad").exists()


def test_keydir_memory_bound_is_taken_and_checked(tmp_path):
    with pytest.raises(ValueError, match="keydir_memory_bytes must be 0 .* at least 64 KiB, got 1000"):
        KeyValueStore(str(tmp_path), "small", 1, "ns", None, keydir_memory_bytes=1000)
    assert not (tmp_path / "small").exists()
    bounded = KeyValueStore(str(tmp_path), "db", 1, "ns", None, keydir_memory_bytes=64 << 10)
    for i in range(3000):
        bounded.set(f"k{i}", b"v", [f"t{i % 3}"])
    assert isinstance(bounded.get_stats()["storage"]["keydir_private_bytes"], int)
    assert len(bounded.query_by_tags(["t1"])) == 1000
    bounded.close()


def test_set_get_delete_round_trip_any_bytes(store):
    for key, value in [("k", b"Hello, world!"), ("big", b"x" * (1 << 20)), ("png", bytes(range(256)) * 4),
                       ("empty", b""), ("CMP:like", b"CMP:not compressed")]:
        store.set(key, value)
        assert store.get(key) == value
    store.delete("k")
    with pytest.raises(KeyError, match="Key 'k' not found"):
        store.get("k")
    store.delete("k")  # a missing key is not an error, as in the original
    assert store.remove("big") is True and store.remove("big") is False


def test_keys_that_are_not_utf8_round_trip_and_have_one_name(store):
    store._core.set("plain", b"x")
    undecodable = b"caf\xe9".decode("utf-8", "surrogateescape")  # latin-1 bytes from elsewhere
    store.set(undecodable, b"v", [undecodable])
    assert store.get(undecodable) == b"v" and undecodable in store.get_all_keys()
    assert store.query_by_tags([undecodable]).keys() == {undecodable}
    aliased = "\udcc3\udca9"  # escapes of C3 A9, the UTF-8 of "é": one key, one name
    with pytest.raises(ValueError, match="valid UTF-8"):
        store.set(aliased, b"v")
    with pytest.raises(ValueError, match="valid UTF-8"):
        store.set("k", b"v", [aliased])
    with pytest.raises(ValueError, match="surrogate"):
        store.set("\ud800", b"v")
    assert sorted(store) == sorted(["plain", undecodable])


def test_bad_keys_values_and_tags_raise_the_original_exceptions_and_change_nothing(store):
    store.set("k", b"v", ["t"])
    for key in ["", None, 5, b"bytes"]:
        with pytest.raises(ValueError, match="Key must be a non-empty string"):
            store.set(key, b"v")
        with pytest.raises(ValueError):
            store.get(key)
        with pytest.raises(ValueError):
            store.delete(key)
    for value in ["text", bytearray(b"x"), None, 5]:
        with pytest.raises(TypeError, match="Value must be bytes"):
            store.set("k", value)
    with pytest.raises(TypeError, match="Tags must be a list"):
        store.set("k", b"v2", "not-a-list")
    with pytest.raises(TypeError, match="tags must be strings"):
        store.set("k", b"v2", ["ok", 5])
    with pytest.raises(nadb.InvalidArgument, match="tag"):
        store.set("k", b"v2", ["x" * 300])
    for ttl in [0, -1, 1.5, "10", True, None]:
        with pytest.raises(ValueError, match="TTL must be a positive integer"):
            store.set_with_ttl("k", b"v2", ttl)
    assert store.get_with_metadata("k")["value"] == b"v" and store.get_metadata("k")["tags"] == ["t"]


def test_set_with_ttl_reports_its_ttl_and_expired_keys_are_invisible_without_cleanup(store):
    store.set_with_ttl("long", b"v", 3600, ["t"])
    store.set_with_ttl("short", b"v", 1, ["t"])
    metadata = store.get_with_metadata("long")["metadata"]
    assert metadata["ttl"] == 3600 and metadata["expires_at"] is not None
    assert store.ttl("long") == 3600
    time.sleep(1.2)
    with pytest.raises(KeyError):
        store.get("short")  # the original kept it readable until cleanup_expired
    assert "short" not in store and store.query_by_tags(["t"]).keys() == {"long"}
    assert store.cleanup_expired() in (0, 1)  # already invisible; the sweep reclaims the space
    assert store.get("long") == b"v"


def test_get_with_metadata_has_the_original_keys_and_real_sizes(store):
    store.set("k", b"a" * 5000, ["music", "rock", "music"])
    result = store.get_with_metadata("k")
    assert result["value"] == b"a" * 5000
    metadata = result["metadata"]
    for field in ("key", "db", "namespace", "size", "ttl", "tags", "created_at", "last_updated"):
        assert field in metadata
    assert metadata["key"] == "k" and metadata["db"] == "db" and metadata["namespace"] == "ns"
    assert metadata["tags"] == ["music", "rock"] and metadata["ttl"] is None
    assert metadata["size"] == 5000 and metadata["stored_size"] < 5000 and metadata["compressed"]
    store.flush()
    assert store.get_metadata("k")["size"] == 5000  # the original changed it to the stored size
    with pytest.raises(KeyError):
        store.get_with_metadata("missing")
    assert store.get_metadata("missing") is None


def test_a_plain_set_replaces_the_tags_everywhere(store):
    store.set("k", b"v", ["a", "b"])
    store.set("k", b"v2")
    assert store.get_metadata("k")["tags"] == []
    assert store.list_all_tags() == {}
    with pytest.raises(ValueError):
        store.query_by_tags([])
    assert store.query_by_tags(["a"]) == {}
    assert store.query_by_tags_advanced(["a"]).keys == []


def test_query_by_tags_returns_key_to_metadata_with_and_semantics(store):
    store.set("user1", b"1", ["music", "rock"])
    store.set("user2", b"2", ["music", "jazz"])
    store.set("user3", b"3", ["movie", "action"])
    music = store.query_by_tags(["music"])
    assert set(music) == {"user1", "user2"} and music["user1"]["tags"] == ["music", "rock"]
    assert list(store.query_by_tags(["music", "jazz"])) == ["user2"]
    assert store.query_by_tags(["nothing"]) == {}
    assert store.list_all_tags() == {"music": 2, "rock": 1, "jazz": 1, "movie": 1, "action": 1}
    with pytest.raises(TypeError):
        store.query_by_tags("music")


def test_query_by_tags_advanced_pages_and_operators(store):
    for i, tags in enumerate([["electronics", "brand:apple"], ["electronics", "mobile"], ["electronics"],
                              ["books", "genre:fiction"]]):
        store.set(f"prod{i + 1}", b"x", tags)
    result = store.query_by_tags_advanced(["electronics"], "AND", page=1, page_size=2)
    assert isinstance(result, QueryResult)
    assert result.keys == ["prod1", "prod2"] and result.total_count == 3 and result.has_more
    assert store.query_by_tags_advanced(["electronics"], "AND", page=2, page_size=2).keys == ["prod3"]
    assert store.query_by_tags_advanced(["books", "mobile"], "OR").keys == ["prod2", "prod4"]
    assert store.query_by_tags_advanced(["electronics"], "not").keys == ["prod4"]
    assert store.query_by_tags_advanced(["books"], nadb.QueryOperator.OR).keys == ["prod4"]
    with pytest.raises(ValueError, match="Unsupported operator"):
        store.query_by_tags_advanced(["books"], "XOR")  # the original treated it as OR
    with pytest.raises(ValueError):
        store.query_by_tags_advanced(["books"], "AND", page=0)
    first = store.query_by_tags_advanced(["electronics"])
    second = store.query_by_tags_advanced(["electronics"])
    assert not first.cache_hit and second.cache_hit and first.keys == second.keys
    assert first.cache_hit is False  # a hit never changes an earlier result
    store.clear_caches()
    assert not store.query_by_tags_advanced(["electronics"]).cache_hit
    store.delete("prod1")
    assert store.query_by_tags_advanced(["electronics"]).keys == ["prod2", "prod3"]


def test_complex_query_combines_conditions_and_refuses_what_it_cannot_do(store):
    store.set("prod1", b"x" * 10, ["electronics", "expensive"])
    store.set("prod3", b"x" * 20, ["electronics", "cheap"])
    store.set("prod4", b"x" * 30, ["books", "cheap"])
    conditions = [{"field": "tags", "operator": "or", "values": ["electronics", "books"]},
                  {"field": "tags", "operator": "and", "value": ["cheap"]}]
    assert store.complex_query(conditions).keys == ["prod3", "prod4"]
    assert store.complex_query([{"field": "tags", "operator": "in", "value": "cheap"}]).keys == ["prod3", "prod4"]
    assert store.complex_query([nadb.QueryCondition("tags", nadb.QueryOperator.NOT, values=["cheap"])]).keys == ["prod1"]
    assert store.complex_query([{"field": "size", "operator": "range", "min_value": 15, "max_value": 30}]).keys == [
        "prod3", "prod4"]
    assert store.complex_query([{"field": "key", "operator": "prefix", "value": "prod"}],
                               page_size=1).total_count == 3
    created = store.get_metadata("prod1")["created_at"]
    assert "prod1" in store.complex_query([{"field": "created_at", "operator": "range", "min_value": created}]).keys
    with pytest.raises(ValueError):
        store.complex_query([{"field": "tags", "operator": "range", "values": ["a"]}])
    with pytest.raises(ValueError):
        store.complex_query([{"field": "colour", "operator": "range", "min_value": 1}])
    with pytest.raises(ValueError):
        store.complex_query([{"operator": "and", "values": ["a"]}])
    with pytest.raises(ValueError):
        store.complex_query([])
    assert store.query("tag:cheap AND NOT tag:books").keys == ["prod3"]


def test_flushdb_clears_only_this_namespace_and_queries_follow(make_store):
    a, b = make_store("a"), make_store("b")
    a.set("k", b"a", ["t"])
    b.set("k", b"b", ["t"])
    a.query_by_tags_advanced(["t"])
    a.flushdb()
    assert len(a) == 0 and a.query_by_tags_advanced(["t"]).keys == [] and b.get("k") == b"b"


def test_get_stats_has_the_original_keys_and_is_json_serialisable(store):
    for i in range(12):
        store.set(f"k{i}", b"v" * i, ["even" if i % 2 == 0 else "odd"])
    store.get("k1")
    store.delete("k0")
    with pytest.raises(KeyError):
        store.get("k0")
    store.query_by_tags_advanced(["even"])
    stats = store.get_stats()
    for field in ("db", "namespace", "count", "size_bytes", "tag_count", "performance", "index_stats",
                  "cache_stats", "query_stats", "active_transactions"):
        assert field in stats
    assert stats["count"] == 11 and stats["tag_count"] == 2
    operations = stats["performance"]["operations"]
    assert operations["set"]["count"] == 12 and operations["get"]["count"] == 2 and operations["delete"]["count"] == 1
    for field in ("count", "avg_ms", "min_ms", "max_ms", "p95_ms"):
        assert field in operations["set"]
    assert stats["index_stats"]["tag_index"].unique_values == 2
    assert stats["index_stats"]["tag_index"].total_entries == 11
    assert stats["cache_stats"]["query_cache"]["misses"] >= 1
    assert stats["query_stats"]["tags_and"]["count"] == 1
    assert isinstance(stats["active_transactions"], int)
    json.dumps(stats, default=lambda o: o.__dict__)  # dataclasses aside, plain JSON values
    from flask import Flask, jsonify

    with Flask(__name__).app_context():
        assert json.loads(jsonify(stats).get_data())["count"] == 11


def test_compact_storage_reports_the_original_keys_and_keeps_data(store):
    for i in range(200):
        store.set(f"k{i}", b"v" * 100)
    for i in range(150):
        store.delete(f"k{i}")
    store.flush()
    report = store.compact_storage()
    for field in ("files_processed", "time_taken_ms", "size_before_bytes", "size_after_bytes", "records_dropped"):
        assert field in report
    assert len(store) == 50 and store.get("k199") == b"v" * 100


def test_get_all_keys_len_contains_and_iteration(store):
    keys = [f"key{i:05d}" for i in range(2500)]
    store.batch_set([(k, b"v") for k in keys])
    assert store.get_all_keys() == keys and list(store) == keys and len(store) == 2500
    assert "key00001" in store and "nope" not in store and 5 not in store and "" not in store
    store["x"] = b"1"
    assert store["x"] == b"1"
    del store["x"]
    with pytest.raises(KeyError):
        del store["x"]
    with pytest.raises(KeyError):
        store["x"]


def test_the_rest_of_the_core_api(store):
    store.batch_set([("a", b"1", ["t"], 100), ("b", b"2")])
    assert store.multi_get(["a", "b", "c"]) == [b"1", b"2", None]
    assert 99 <= store.ttl("a") <= 100 and store.persist("a") and store.ttl("a") is None
    assert store.expire("b", 50) and not store.expire("nope", 5)
    assert store.set_if_absent("c", b"3") and not store.set_if_absent("c", b"4")
    version = store.get_metadata("c")["version"]
    assert not store.compare_and_set("c", version + 100, b"5") and store.compare_and_set("c", version, b"5")
    assert store.increment("n") == 1 and store.increment("n", 10) == 11
    keys, cursor = store.scan("", "", 2)
    assert keys == ["a", "b"] and cursor
    assert store.batch_delete(["a", "b", "zz"]) == 2
    store.optimize_indexes()
    store.rebuild_indexes()
    assert store.get("c") == b"5"


def test_disabled_features_raise_runtime_error(make_store):
    bare = make_store(enable_transactions=False, enable_backup=False, enable_indexing=False)
    with pytest.raises(RuntimeError, match="Transactions not enabled"):
        bare.begin_transaction()
    with pytest.raises(RuntimeError, match="Transactions not enabled"):
        with bare.transaction():
            pass
    with pytest.raises(RuntimeError, match="Backup not enabled"):
        bare.create_backup()
    assert bare.transaction_manager is None and bare.backup_manager is None and bare.index_manager is None
    bare.set("k", b"v", ["t"])
    assert bare.query_by_tags_advanced(["t"]).keys == ["k"]  # queries scan without the index
    assert "index_stats" not in bare.get_stats() and "active_transactions" not in bare.get_stats()


def test_a_closed_store_raises_and_never_crashes(store):
    store.set("k", b"v")
    store.close()
    store.close()
    for call in (lambda: store.get("k"), lambda: store.set("k", b"v"), lambda: len(store),
                 lambda: store.query_by_tags(["t"]), lambda: store.get_stats(), lambda: store.flush(),
                 lambda: store.create_backup(), lambda: list(store), lambda: store.begin_transaction()):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert store.name == "db:ns"


def test_context_manager_closes_and_flushes(tmp_path):
    with KeyValueStore(str(tmp_path), "db", 1, "ns", None) as kv:
        kv.set("k", b"v")
    with pytest.raises(ValueError):
        kv.get("k")
    with KeyValueStore(str(tmp_path), "db", 1, "ns", None) as kv:
        assert kv.get("k") == b"v"


def test_a_second_process_gets_locked_naming_the_holder(tmp_path, store):
    import subprocess
    import sys

    code = ("import nadb,sys\ntry:\n nadb.KeyValueStore(sys.argv[1],'db',1,'ns',None)\n"
            "except nadb.Locked as e:\n print('LOCKED', isinstance(e, RuntimeError), e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("LOCKED True") and "pid" in out.stdout


def test_nothing_is_written_to_the_working_directory(tmp_path, monkeypatch, make_store):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    store = make_store(folder=tmp_path / "data")
    store.set("k", b"v")
    store.create_backup("b1")
    nadb.LoggingConfig.get_logger("x").warning("hello")
    assert list(work.iterdir()) == []
    assert (tmp_path / "data" / "backups" / "db" / "b1").is_dir()


def test_keys_tags_and_paths_that_are_not_utf8_work_everywhere(make_store, tmp_path):
    folder = tmp_path / "caf\udce9"  # a file name that is not UTF-8 (os.fsdecode's form)
    store = make_store(folder=folder)
    odd = b"k\xff".decode("utf-8", "surrogateescape")
    store.batch_set([(f"{odd}{i:04d}", b"v", [odd]) for i in range(2500)])  # across scan pages
    assert len(list(store)) == 2500 and store.scan(odd, "", 5)[0][0] == f"{odd}0000"
    assert store.query(f'tag:"{odd}"').total_count == 2500
    report = store.export_jsonl(folder / f"{odd}.jsonl")
    assert report["keys"] == 2500 and report["path"].endswith(f"{odd}.jsonl")
    assert os.path.exists(os.fsencode(folder / "db"))


def test_pages_and_query_depth_are_checked_with_clear_errors(store):
    store.set("k", b"v", ["t"])
    for page, page_size in [(0, 10), (-1, 10), (1, 0), (1, -5)]:
        with pytest.raises(ValueError, match="page"):
            store.query_by_tags_advanced(["t"], "AND", page, page_size)
        with pytest.raises(ValueError, match="page"):
            store.query("tag:t", page, page_size)
    with pytest.raises(TypeError, match="page"):
        store.complex_query([{"field": "tags", "operator": "and", "values": ["t"]}], page="1")
    with pytest.raises(ValueError, match="deeper than"):
        store.query("(" * 20000 + "tag:t" + ")" * 20000)
    with pytest.raises(ValueError, match="deeper than"):
        store.query("NOT " * 40000 + "tag:t")
    assert store.query("NOT NOT tag:t").keys == ["k"]


def test_dropping_the_last_reference_closes_the_store(tmp_path):
    import gc
    import subprocess
    import sys

    gc.disable()  # no collector: reference counting alone must close it
    try:
        store = KeyValueStore(str(tmp_path), "db", 64, "ns", None)
        store.set("k", b"v")
        store.begin_transaction()
        del store
    finally:
        gc.enable()
    code = "import nadb,sys\nprint(nadb.KeyValueStore(sys.argv[1],'db',1,'ns',None).get('k'))"
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(nadb.__file__))})
    assert out.stdout.strip() == "b'v'", out.stderr


def test_buffer_size_zero_is_write_through(tmp_path):
    store = KeyValueStore(str(tmp_path), "db", 0, "ns", None)
    store.set("k", b"v")
    assert store.get_stats()["storage"]["fsyncs"] >= 1
    store.close()


def test_a_forked_child_cannot_use_its_parents_store_and_the_parent_loses_nothing(tmp_path):
    store = KeyValueStore(str(tmp_path), "db", 1, "ns", None)
    store.set("before", b"1")
    pid = os.fork()
    if pid == 0:  # the child: every use refuses, close() forgets, exit does not hang
        code = 0
        try:
            store.set("child", b"x")
            code = 2
        except ValueError as e:
            code = 0 if "fork" in str(e) else 3
        try:
            store.get("before")
            code = 4
        except ValueError:
            pass
        store.close()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    for i in range(100):
        store.set(f"parent{i}", b"p")
    store.close()
    with KeyValueStore(str(tmp_path), "db", 1, "ns", None) as again:
        assert sorted(again) == ["before"] + sorted(f"parent{i}" for i in range(100))
