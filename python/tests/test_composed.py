"""Every operation of the Python API composed at random against a model (a dict of key ->
(value, tags)), on fs, memory and redis: sets, TTL sets that expire, deletes, batches,
committed and rolled-back transactions, flushdb, backups and restores, export and import,
reopen. After every step, every key's value and tags, len(), iteration and a tag query must
equal the model. A fixed seed (NADB_PY_SEED replays another); a failure prints the seed."""

from __future__ import annotations

import os
import random
import time

import pytest

import nadb

KEYS = ["a", "b", "c", "ключ", "k\udcff", "with space", "x" * 300]
TAGS = ["red", "blue", "with,comma", "ünï"]
VALUES = [b"", b"v", b"\x00\xff" * 10, b"big" * 2000]


class Model:
    def __init__(self) -> None:
        self.data: dict = {}

    def check(self, store) -> None:
        assert sorted(store) == sorted(self.data), "keys"
        assert len(store) == len(self.data)
        for key, (value, tags) in self.data.items():
            metadata = store.get_with_metadata(key)
            assert metadata["value"] == value, key
            assert metadata["metadata"]["tags"] == sorted(set(tags)), key
        for tag in TAGS:
            want = sorted(k for k, (_, tags) in self.data.items() if tag in tags)
            assert store.query_by_tags_advanced([tag], page_size=100).keys == want, tag


def open_store(backend: str, folder: str, redis_url: str | None):
    return nadb.KeyValueStore(folder, "db", 0.01, "composed", None, storage_backend=backend, redis_url=redis_url)


def step(rng: random.Random, store, model: Model, backend: str, folder: str, redis_url, counter: list,
         number: int):
    op = rng.choice(["set", "set", "ttl", "delete", "batch", "commit", "rollback", "flushdb",
                     "backup_restore", "export_import", "reopen"])
    if number % 40 == 39:
        op = "ttl_gone"
    key, value = rng.choice(KEYS), rng.choice(VALUES)
    tags = rng.sample(TAGS, rng.randrange(3))
    if op == "set":
        store.set(key, value, tags)
        model.data[key] = (value, tags)
    elif op == "ttl":
        store.set_with_ttl(key, value, 3600, tags)
        model.data[key] = (value, tags)
    elif op == "ttl_gone":
        store.set_with_ttl(key, value, 1, tags)
        model.data.pop(key, None)
        store.flush()
        time.sleep(1.05)  # checked once expired
    elif op == "delete":
        store.delete(key)
        model.data.pop(key, None)
    elif op == "batch":
        items = [(k, rng.choice(VALUES), rng.sample(TAGS, 1)) for k in rng.sample(KEYS, 3)]
        store.batch_set(items)
        for k, v, t in items:
            model.data[k] = (v, t)
    elif op in ("commit", "rollback"):
        changes = {}
        try:
            with store.transaction() as tx:
                for k in rng.sample(KEYS, 2):
                    if rng.random() < 0.3:
                        tx.delete(k)
                        changes[k] = None
                    else:
                        changes[k] = (rng.choice(VALUES), rng.sample(TAGS, 1))
                        tx.set(k, *changes[k])
                if op == "rollback":
                    raise KeyboardInterrupt  # anything leaving the block rolls back
        except KeyboardInterrupt:
            changes = {}
        for k, change in changes.items():
            if change is None:
                model.data.pop(k, None)
            else:
                model.data[k] = change
    elif op == "flushdb":
        store.flushdb()
        model.data.clear()
    elif op == "backup_restore" and backend != "memory":
        counter[0] += 1
        backup = store.create_backup(f"b{counter[0]}")
        saved = dict(model.data)
        store.set("after-backup", b"x")
        store.restore_backup(backup.backup_id, clear_existing=True)
        model.data = saved
    elif op == "export_import":
        path = os.path.join(folder, f"export{counter[0]}.jsonl.gz")
        counter[0] += 1
        store.export_jsonl(path)
        store.flushdb()
        store.import_jsonl(path)
    elif op == "reopen" and backend != "memory":
        store.close()
        return open_store(backend, folder, redis_url)
    return store


@pytest.mark.parametrize("backend", ["fs", "memory", "redis"])
def test_every_operation_composed_against_a_model(backend, tmp_path, request):
    seed = int(os.environ.get("NADB_PY_SEED", "20261206"))
    rng = random.Random(f"{seed}-{backend}")
    redis_url = request.getfixturevalue("redis_server").url if backend == "redis" else None
    store = open_store(backend, str(tmp_path), redis_url)
    store.flushdb()
    model, counter = Model(), [0]
    try:
        for number in range(120):
            store = step(rng, store, model, backend, str(tmp_path), redis_url, counter, number)
            try:
                model.check(store)
            except AssertionError as e:
                raise AssertionError(f"seed {seed}, {backend}, step {number}: {e}") from e
    finally:
        store.flushdb()
        store.close()
