"""Transactions with the original API: atomic commit, rollback that never writes, the
exception passing out unchanged, isolation levels, threads."""

from __future__ import annotations

import threading

import pytest

import nadb
from nadb import TransactionState


class BodyFailed(ValueError):
    pass


def test_a_committed_block_applies_every_write(store):
    store.set("existing_key", b"original")
    with store.transaction() as tx:
        tx.set("new1", b"v1", ["t"])
        tx.set("existing_key", b"modified_value")
        tx.set_with_ttl("ttl", b"v", 100, ["t"])
        tx.batch_set([("b1", b"1", ["b"]), ("b2", b"2")])
        assert tx.get("new1") == b"v1"  # read-your-writes
        assert store.exists("new1") is False  # nothing is visible before commit
        assert tx.get_operation_count() == 5
    assert store.get("new1") == b"v1" and store.get("existing_key") == b"modified_value"
    assert store.query_by_tags(["t"]).keys() == {"new1", "ttl"} and store.ttl("ttl") <= 100


def test_an_exception_rolls_back_without_writing_and_passes_out_unchanged(store):
    store.set("existing_key", b"original", ["keep"])
    version = store.get_metadata("existing_key")["version"]
    error = BodyFailed("boom")
    with pytest.raises(BodyFailed) as raised:
        with store.transaction() as tx:
            tx.set("created", b"x", ["added"])
            tx.set("existing_key", b"modified", ["added"])
            tx.delete("existing_key")
            raise error
    assert raised.value is error
    with pytest.raises(KeyError):
        store.get("created")
    metadata = store.get_metadata("existing_key")
    assert store.get("existing_key") == b"original" and metadata["tags"] == ["keep"]
    assert metadata["version"] == version  # the original wrote before-images back; we write nothing
    assert store.query_by_tags_advanced(["added"]).keys == []


def test_batch_set_then_batch_delete(store):
    with store.transaction() as tx:
        tx.batch_set([("k1", b"1", ["a"]), ("k2", b"2", ["b"])])
    with store.transaction() as tx:
        tx.batch_delete(["k1", "k2"])
    for key in ("k1", "k2"):
        with pytest.raises(KeyError):
            store.get(key)
    with pytest.raises(ValueError, match="batch_set items"):
        with store.transaction() as tx:
            tx.batch_set([("only-key",)])


def test_begin_commit_rollback_and_states(store):
    tx = store.begin_transaction("READ_COMMITTED")
    assert tx.state is TransactionState.ACTIVE and tx.state.value == "active"
    assert tx.isolation_level == "READ_COMMITTED" and tx.transaction_id
    tx.add_operation("set", "k", b"v", ["t"])
    assert [op.op_type for op in tx.operations] == ["set"]
    assert store.get_stats()["active_transactions"] == 1
    assert store.commit_transaction(tx) is True
    assert tx.state.value == "committed" and store.get("k") == b"v"
    with pytest.raises(RuntimeError, match="Cannot commit committed transaction"):
        store.commit_transaction(tx)
    with pytest.raises(RuntimeError, match="Cannot add operations"):
        tx.add_operation("set", "k", b"w")
    assert store.rollback_transaction(tx) is False
    second = store.begin_transaction()
    second.add_operation("delete", "k")
    assert store.rollback_transaction(second) is True and second.state is TransactionState.ROLLED_BACK
    assert store.get("k") == b"v" and store.get_stats()["active_transactions"] == 0
    with pytest.raises(ValueError, match="isolation level"):
        store.begin_transaction("SNAPSHOT")  # the original accepted any string and ignored it
    with pytest.raises(ValueError, match="Unknown operation type"):
        store.begin_transaction().add_operation("increment", "k")


def test_serializable_conflict_fails_the_commit_and_applies_nothing(store):
    store.set("balance", b"10")
    tx = store.begin_transaction("SERIALIZABLE")
    assert tx.get("balance") == b"10"
    tx.add_operation("set", "balance", b"5")
    tx.add_operation("set", "audit", b"spent 5")
    store.set("balance", b"20")  # another writer
    with pytest.raises(nadb.TransactionConflict) as raised:
        store.commit_transaction(tx)
    assert isinstance(raised.value, RuntimeError) and tx.state is TransactionState.FAILED
    assert store.get("balance") == b"20" and "audit" not in store
    assert store.rollback_transaction(tx) is True


def test_transactions_from_threads_all_apply(store):
    errors = []

    def work(n: int) -> None:
        try:
            for round_ in range(20):
                with store.transaction() as tx:
                    for i in range(5):
                        tx.set(f"t{n}-{round_}-{i}", b"v", [f"thread{n}"])
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(store) == 300
    assert all(store.query_by_tags_advanced([f"thread{n}"]).total_count == 100 for n in range(3))


def test_one_transaction_shared_by_threads_stays_consistent(store):
    tx = store.begin_transaction()

    def stage(n: int) -> None:
        for i in range(200):
            tx.add_operation("set", f"k{n}-{i}", b"v")

    threads = [threading.Thread(target=stage, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert tx._core.operation_count() == 800 and len(tx.operations) == 800
    store.commit_transaction(tx)
    assert len(store) == 800


def test_a_transaction_outliving_its_store_raises(make_store):
    store = make_store()
    tx = store.begin_transaction()
    tx.add_operation("set", "k", b"v")
    store.close()
    with pytest.raises(ValueError, match="closed"):
        store.commit_transaction(tx)
