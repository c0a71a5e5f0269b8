"""Every feature of the nadb Python package, on the fs backend, in a temporary folder (or the
folder given as the first argument). Each step checks its result; the last line printed is
"all features ok". Run: PYTHONPATH=build/default/python python3 examples/python/features.py"""

from __future__ import annotations

import sys
import tempfile
import time

import nadb
from nadb import KeyValueStore, KeyValueSync, LoggingConfig, QueryCondition, QueryOperator


def main(folder: str) -> None:
    sync = KeyValueSync(flush_interval_seconds=1)
    sync.start()
    kv = KeyValueStore(folder, "shop", 1, "products", sync)

    # Values with tags, metadata, TTL.
    kv.set("p1", b"laptop", ["electronics", "expensive"])
    kv.set("p2", b"phone", ["electronics", "cheap"])
    kv.set("p3", b"novel", ["books", "cheap"])
    kv.set_with_ttl("promo", b"10% off", 3600, ["marketing"])
    assert kv.get("p1") == b"laptop"
    assert kv.get_with_metadata("promo")["metadata"]["ttl"] == 3600
    try:
        kv.get("missing")
    except KeyError:
        pass

    # Tag queries: AND, OR, NOT, pages, conditions, the text syntax.
    assert set(kv.query_by_tags(["cheap"])) == {"p2", "p3"}
    page = kv.query_by_tags_advanced(["electronics", "books"], "OR", page=1, page_size=2)
    assert page.keys == ["p1", "p2"] and page.has_more and page.total_count == 3
    assert kv.query_by_tags_advanced(["cheap"], "NOT").keys == ["p1", "promo"]
    assert kv.complex_query([QueryCondition("tags", QueryOperator.OR, values=["electronics", "books"]),
                             {"field": "tags", "operator": "and", "values": ["cheap"]}]).keys == ["p2", "p3"]
    assert kv.query("tag:cheap AND NOT tag:books").keys == ["p2"]
    assert kv.list_all_tags()["cheap"] == 2

    # Pythonic access.
    kv["note"] = b"plain"
    assert "note" in kv and kv["note"] == b"plain" and len(kv) == 5
    del kv["note"]
    assert list(kv) == ["p1", "p2", "p3", "promo"]

    # Transactions: atomic, rolled back by an exception.
    with kv.transaction() as tx:
        tx.set("p4", b"tablet", ["electronics"])
        tx.delete("p3")
    try:
        with kv.transaction() as tx:
            tx.set("p5", b"never", ["electronics"])
            raise ValueError("changed my mind")
    except ValueError:
        pass
    assert "p5" not in kv and "p3" not in kv and kv.get("p4") == b"tablet"

    # Backups: full, incremental, verify, restore.
    full = kv.create_backup()
    kv.set("p6", b"camera", ["electronics"])
    incremental = kv.create_incremental_backup(full.backup_id)
    assert kv.verify_backup(incremental.backup_id)
    kv.flushdb()
    kv.restore_backup(incremental.backup_id, clear_existing=True)
    assert kv.get("p6") == b"camera" and kv.get("p4") == b"tablet"

    # Export, import and sync into another backend.
    kv.export_jsonl(f"{folder}/products.jsonl.zst")
    memory = KeyValueStore(folder, "shop", 1, "copy", None, storage_backend="memory")
    assert memory.import_jsonl(f"{folder}/products.jsonl.zst")["imported"] == len(kv)
    assert kv.sync_to(memory, remove_extraneous=True)["copied"] == len(kv)
    memory.close()

    # Maintenance, stats, logging.
    kv.flush()
    kv.compact_storage()
    kv.cleanup_expired()
    stats = kv.get_stats()
    assert stats["count"] == len(kv) and stats["performance"]["operations"]["set"]["count"] >= 5
    LoggingConfig.get_performance_logger("features").log_metric("keys", stats["count"])
    kv.close()
    sync.sync_exit()
    print(f"nadb {nadb.__version__}: all features ok ({stats['count']} keys, "
          f"{time.strftime('%H:%M:%S')})")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(folder)
