"""Backups and restores with the original API: full, incremental, verify, merge and replace
restores, retention; ids and directories under the data folder."""

from __future__ import annotations

import time

import pytest

import nadb


def test_full_backup_metadata_and_restore(store):
    for i in range(3):
        store.set(f"k{i}", f"v{i}".encode(), ["t"])
    backup = store.create_backup("test_backup", compression=True)
    assert backup.backup_id == "test_backup" and backup.backup_type == "full"
    assert backup.file_count == 3 and backup.total_size > 0 and backup.compression is True
    assert len(backup.checksum) == 64 and backup.parent_backup_id is None
    assert backup.source_db == "db" and backup.source_namespace == "ns"
    assert store.verify_backup("test_backup") is True
    assert store.verify_backup("non_existent_backup") is False
    for i in range(3):
        store.delete(f"k{i}")
    assert store.restore_backup("test_backup", verify_integrity=True) is True
    assert [store.get(f"k{i}") for i in range(3)] == [b"v0", b"v1", b"v2"]
    assert store.query_by_tags(["t"]).keys() == {"k0", "k1", "k2"}


def test_merge_restore_keeps_newer_keys_and_replace_restore_is_exact(store):
    store.set("deleted", b"1")
    store.set("modified", b"before")
    store.create_backup("b1")
    store.delete("deleted")
    store.set("modified", b"after")
    store.set("created_later", b"new")
    store.restore_backup("b1", verify_integrity=True, clear_existing=False)
    assert store.get("deleted") == b"1" and store.get("modified") == b"before"
    assert store.get("created_later") == b"new"
    store.restore_backup("b1", clear_existing=True)
    assert sorted(store) == ["deleted", "modified"]


def test_incremental_backups_restore_deletes_and_ttls_exactly(store):
    store.set("a", b"1")
    store.set("b", b"2")
    full = store.create_backup("full")
    store.delete("a")
    store.set_with_ttl("c", b"3", 3600)
    incremental = store.create_incremental_backup(full.backup_id, "incremental_backup")
    assert incremental.backup_type == "incremental" and incremental.parent_backup_id == "full"
    store.flushdb()
    store.restore_backup("incremental_backup", clear_existing=True)
    assert sorted(store) == ["b", "c"] and 3590 < store.ttl("c") <= 3600
    ids = [b.backup_id for b in store.list_backups()]
    assert ids == ["full", "incremental_backup"]
    with pytest.raises(ValueError, match="depend"):
        store.delete_backup("full")  # the incremental depends on it
    assert store.delete_backup("nope") is False
    assert store.cleanup_old_backups(keep_days=0, keep_count=0) == 2


def test_unknown_and_bad_ids(store):
    with pytest.raises(ValueError, match="nope"):
        store.restore_backup("nope")
    with pytest.raises(ValueError, match="nope"):
        store.create_incremental_backup("nope")
    with pytest.raises(nadb.InvalidArgument):
        store.create_backup("../escape")
    first = store.create_backup()
    second = store.create_backup()
    assert first.backup_id != second.backup_id  # default ids never collide
    with pytest.raises(nadb.InvalidArgument):
        store.create_backup(first.backup_id)


def test_a_damaged_backup_fails_verification_and_restores_nothing(store, tmp_path):
    store.set("k", b"v")
    store.create_backup("b1")
    store.set("k", b"changed")
    folder = tmp_path / "backups" / "db" / "b1"
    victim = next(p for p in folder.iterdir() if p.name != "manifest.json")
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    assert store.verify_backup("b1") is False
    with pytest.raises(RuntimeError):
        store.restore_backup("b1")
    assert store.get("k") == b"changed"


def test_progress_is_reported_and_the_memory_backend_refuses_backups(make_store, store, tmp_path):
    store.set("k", b"v" * 5000)
    seen = []
    info = store.create_backup("p1", progress=lambda done, total: seen.append((done, total)))
    store.flushdb()
    store.restore_backup(info.backup_id, progress=lambda done, total: seen.append((done, total)))
    assert store.get("k") == b"v" * 5000 and len(seen) >= 2 and seen[-1][0] > 0
    memory = make_store(storage_backend="memory", folder=tmp_path / "m")
    with pytest.raises(nadb.NotSupported, match="memory") as raised:
        memory.create_backup()
    assert isinstance(raised.value, RuntimeError)


def test_a_progress_callback_that_raises_aborts_with_its_exception(store):
    store.set("k", b"v" * 10000)

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop("enough")

    with pytest.raises(Stop):
        store.create_backup("aborted", progress=stop)
    assert "aborted" not in [b.backup_id for b in store.list_backups()]


def test_backup_manager_object_and_export_import_sync(make_store, tmp_path):
    store = make_store()
    store.set("k", b"v", ["t"])
    store.set_with_ttl("e", b"x", 1)
    manager = store.backup_manager
    assert manager.create_full_backup("m").backup_id == "m" and manager.verify_backup_integrity("m")
    report = store.export_jsonl(tmp_path / "out.jsonl.gz")
    assert report["keys"] == 2
    time.sleep(1.1)
    other = make_store("other")
    imported = other.import_jsonl(tmp_path / "out.jsonl.gz")
    assert imported["imported"] == 1 and imported["skipped_expired"] == 1 and other.get("k") == b"v"
    memory = make_store(storage_backend="memory", folder=tmp_path / "mem")
    assert store.sync_to(memory)["copied"] == 1 and memory.query_by_tags(["t"]).keys() == {"k"}


@pytest.mark.parametrize("nested", ["close", "create_backup", "compact_storage", "restore_backup", "flushdb"])
def test_a_long_operation_inside_a_progress_callback_is_refused_not_deadlocked(store, nested):
    for i in range(300):
        store.set(f"k{i}", b"v" * 500)
    store.create_backup("first")
    store.flush()
    calls = []

    def callback(done, total):
        calls.append(done)
        arguments = {"restore_backup": ("first",)}.get(nested, ())
        with pytest.raises(ValueError, match="inside a progress callback"):
            getattr(store, nested)(*arguments)
        store.set("written-from-the-callback", b"ok")  # quick calls are fine

    store.create_backup("outer", progress=callback)
    assert calls and store.get("written-from-the-callback") == b"ok"
    assert [b.backup_id for b in store.list_backups()] == ["first", "outer"]
