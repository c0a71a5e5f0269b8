"""KeyValueStore and KeyValueSync with the original NADB API (the original's ``nadb.nakv``),
on the C++ core. docs/PYTHON.md lists where and why this package behaves differently from the
original (it keeps expired keys invisible, caches exact, backups out of the working directory...).

Thread-safety: every method may be called from many threads; the GIL is released during
every I/O, wait and query. Durability: a write is visible at once and durable after
``flush()``, within the sync's flush interval, or at once with ``durability="sync"``."""

from __future__ import annotations

import json
import os
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

from . import _convert, _core
from .backup_manager import BackupManager, BackupMetadata, verify
from .index_manager import (IndexManager, QueryCondition, QueryOperator, QueryResult, QueryStats,
                            core_condition, index_stats)
from .storage_backends import BackendCapabilities, StorageBackend
from .storage_backends.redis import redis_options
from .transaction import Transaction, TransactionContext, TransactionManager

Progress = Optional[Callable[[int, int], None]]
_BACKENDS = ("fs", "memory", "redis")
_DIRECT = ("set", "set_with_ttl", "get", "delete", "remove", "exists")


class KeyValueSync:
    """Flushes every store given it (``KeyValueStore(..., sync=this)``) every
    ``flush_interval_seconds`` and removes their expired keys; ``sync_exit()`` stops it and
    flushes them all (nothing buffered is lost at exit)."""

    def __init__(self, flush_interval_seconds: float = 1) -> None:
        if isinstance(flush_interval_seconds, bool) or not isinstance(flush_interval_seconds, (int, float)):
            raise TypeError("flush_interval_seconds must be a number")
        if flush_interval_seconds <= 0:
            raise ValueError("flush_interval_seconds must be positive")
        self.flush_interval = flush_interval_seconds
        self._core = _core.Sync(max(1, int(round(flush_interval_seconds * 1000))))
        self._stores: "weakref.WeakSet[KeyValueStore]" = weakref.WeakSet()
        self.ttl_cleanup_interval = flush_interval_seconds  # expired keys are swept every round

    @property
    def stores(self) -> List["KeyValueStore"]:
        return list(self._stores)

    @property
    def is_running(self) -> bool:
        return bool(self._core.status()["running"])

    def register_store(self, store: "KeyValueStore") -> None:
        """Stores join a sync when they are opened with it; this checks that store did."""
        if store.sync is not self:
            raise ValueError("a store joins a KeyValueSync when it is opened: pass sync= to KeyValueStore")
        self._stores.add(store)

    def start(self) -> None:
        self._core.start()

    def sync_exit(self) -> None:
        """Stops the thread and flushes every registered store. Raises the first flush error."""
        self._core.stop()

    stop = sync_exit

    def flush_and_sleep(self) -> None:
        """One round now (flush and sweep every store), then sleep one interval."""
        self._core.run_once()
        time.sleep(self.flush_interval)

    def status(self) -> Dict[str, Any]:
        core = self._core.status()
        return {
            "is_running": core["running"],
            "flush_interval": self.flush_interval,
            "registered_stores": core["stores"],
            "ttl_cleanup_interval": self.ttl_cleanup_interval,
            "rounds": core["rounds"],
            "expired_removed": core["expired_removed"],
            "last_error": core["last_error"] or None,
        }


class PerformanceMetrics:
    """The store's operation metrics (the core measures every operation; bounded memory)."""

    def __init__(self, store: "KeyValueStore") -> None:
        self._store = weakref.ref(store)
        self._started = time.time()

    def get_metrics(self) -> Dict[str, Any]:
        store = self._store()
        core = json.loads(store._core._stats_json()) if store is not None else {}
        return _performance(core, time.time() - self._started)


def _performance(core: Dict[str, Any], uptime: float) -> Dict[str, Any]:
    operations = {}
    for name, op in core.get("operations", {}).items():
        operations["delete" if name == "remove" else name] = dict(op)
    return {
        "uptime_seconds": uptime,
        "operations": operations,
        "bytes_read": core.get("bytes_read", 0),
        "bytes_written": core.get("bytes_written_raw", 0),
        "bytes_written_stored": core.get("bytes_written_stored", 0),
        "compression_ratio": core.get("compression_ratio", 1.0),
    }


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return value


class KeyValueStore:
    """One namespace of one db, with the original constructor:
    ``KeyValueStore(data_folder_path, db, buffer_size_mb, namespace, sync, compression_enabled=True,
    storage_backend="fs", enable_transactions=True, enable_backup=True, enable_indexing=True,
    cache_size=10000)``; the keyword-only extras configure what the original could not.

    ``sync`` may be None (the store then flushes by itself every second). ``storage_backend``
    is "fs", "memory" or "redis" (localhost:6379 db 0 unless ``storage_options`` /
    ``redis_url`` say otherwise). Raises ValueError (InvalidArgument) for bad names or options,
    Locked when another process holds the db, BackendUnavailable when Redis is unreachable."""

    def __init__(self, data_folder_path: Union[str, os.PathLike], db: str, buffer_size_mb: float,
                 namespace: str, sync: Optional[KeyValueSync] = None, compression_enabled: bool = True,
                 storage_backend: str = "fs", enable_transactions: bool = True,
                 enable_backup: bool = True, enable_indexing: bool = True, cache_size: int = 10000, *,
                 storage_options: Optional[Dict[str, Any]] = None, redis_url: Optional[str] = None,
                 durability: str = "buffered", compression: Optional[str] = None,
                 backup_dir: Optional[str] = None, flush_interval_seconds: Optional[float] = None,
                 transaction_timeout_seconds: Optional[int] = None, read_only: bool = False,
                 max_segment_size_mb: Optional[float] = None, recovery_mode: Optional[str] = None,
                 keydir_memory_bytes: Optional[int] = None) -> None:
        if storage_backend not in _BACKENDS:
            raise ValueError(f"Unknown storage backend '{storage_backend}' (one of fs, memory, redis)")
        if sync is not None and not isinstance(sync, KeyValueSync):
            raise TypeError("sync must be a KeyValueSync or None")
        self.data_folder_path = os.fspath(data_folder_path)
        self.db = _name(db, "db")
        self.namespace = _name(namespace, "namespace")
        self.buffer_size_mb = buffer_size_mb
        self.sync = sync
        self.compression_enabled = bool(compression_enabled)
        self.storage_backend = storage_backend
        self.is_redis_backend = storage_backend == "redis"
        if buffer_size_mb == 0 and not isinstance(buffer_size_mb, bool):
            # The original's write-through mode: every write durable before it returns.
            buffer_size_mb, durability = 1, "sync"
        self._options: Dict[str, Any] = {
            "data_folder": os.fsencode(self.data_folder_path), "db": self.db, "ns": self.namespace,
            "backend": storage_backend, "buffer_size_mb": buffer_size_mb,
            "compression": compression or ("zstd" if compression_enabled else "none"),
            "durability": durability, "enable_transactions": enable_transactions,
            "enable_backup": enable_backup, "enable_indexing": enable_indexing,
            "cache_size": cache_size, "backup_dir": None if backup_dir is None else os.fsencode(backup_dir), "read_only": read_only,
            "sync": sync._core if sync is not None else None,
            "flush_interval_ms": None if flush_interval_seconds is None else int(flush_interval_seconds * 1000),
            "transaction_timeout_s": transaction_timeout_seconds,
            "max_segment_size_mb": max_segment_size_mb, "recovery_mode": recovery_mode,
            "keydir_memory_bytes": keydir_memory_bytes,
        }
        if storage_options:
            self._options.update(redis_options(storage_options))
        if redis_url is not None:
            self._options["redis_url"] = redis_url
        self._open()
        self.transaction_manager = TransactionManager(self) if enable_transactions else None
        self.backup_manager = BackupManager(self) if enable_backup else None
        self.index_manager = IndexManager(self, cache_size) if enable_indexing else None
        self.metrics = PerformanceMetrics(self)
        self._query_stats = QueryStats()
        if sync is not None:
            sync.register_store(self)

    def _open(self) -> None:
        self._core = _core.Store(self._options)
        if self._options["backend"] == "redis":
            try:
                self._core.count()  # an unreachable server is an error now, as in the original
            except BaseException:
                self._core.close()
                raise
        self.capabilities = BackendCapabilities._from_core(self._core._capabilities)
        self.use_buffering = self.capabilities.supports_buffering
        # The hot paths go straight to the core (same checks, same exceptions): a Python frame
        # would cost a fifth of a get. A subclass that overrides one keeps its override.
        for name in _DIRECT:
            if getattr(type(self), name) is getattr(KeyValueStore, name):
                setattr(self, name, getattr(self._core, name))

    # -- the backend -------------------------------------------------------------------------

    @property
    def storage(self) -> StorageBackend:
        """The backend's settings. Assigning a StorageBackend (e.g. RedisStorage(host=...,
        port=...)) closes this store and reopens it there, as the original's examples expect."""
        from .storage_backends import StorageFactory

        return StorageFactory.create_storage(self.storage_backend, **_settings_of(self._options))

    @storage.setter
    def storage(self, backend: StorageBackend) -> None:
        if not isinstance(backend, StorageBackend):
            raise TypeError("storage must be a StorageBackend (FileSystemStorage, MemoryStorage, RedisStorage)")
        options = {k: v for k, v in self._options.items() if not k.startswith("redis_")}
        options["backend"] = backend.backend
        options.update(backend.store_options())
        self._core.close()
        self._options = options
        self.storage_backend = backend.backend
        self.is_redis_backend = backend.backend == "redis"
        self._open()

    @property
    def name(self) -> str:
        return f"{self.db}:{self.namespace}"

    # -- values ------------------------------------------------------------------------------

    def set(self, key: str, value: bytes, tags: Optional[List[str]] = None) -> None:
        """Stores value (bytes) with exactly these tags and no TTL. ValueError for a bad key,
        TypeError for a value that is not bytes or tags that are not a list of str."""
        self._core.set(key, value, tags)

    def set_with_ttl(self, key: str, value: bytes, ttl_seconds: int, tags: Optional[List[str]] = None) -> None:
        """As set, expiring after ttl_seconds (a positive int; ValueError otherwise)."""
        self._core.set_with_ttl(key, value, ttl_seconds, tags)

    def get(self, key: str) -> bytes:
        """The value; KeyError if the key is missing or expired."""
        return self._core.get(key)

    def get_with_metadata(self, key: str) -> Dict[str, Any]:
        """{"value": bytes, "metadata": dict}; KeyError if missing or expired."""
        entry = self._core._entry(key)
        if entry is None:
            raise KeyError(f"Key '{key}' not found")
        return {"value": entry[0], "metadata": _convert.metadata(entry[1], self.db, self.namespace)}

    def get_metadata(self, key: str) -> Optional[Dict[str, Any]]:
        """The key's metadata dict, or None if missing or expired."""
        raw = self._core._metadata(key)
        return None if raw is None else _convert.metadata(raw, self.db, self.namespace)

    def delete(self, key: str) -> None:
        """Deletes key; a missing key is not an error (use remove() to learn whether it existed)."""
        self._core.delete(key)

    def remove(self, key: str) -> bool:
        return self._core.remove(key)

    def exists(self, key: str) -> bool:
        return self._core.exists(key)

    def multi_get(self, keys: Sequence[str]) -> List[Optional[bytes]]:
        return self._core.multi_get(keys)

    def batch_set(self, items: Sequence[tuple]) -> None:
        """Sets every (key, value[, tags[, ttl_seconds]]) atomically."""
        self._core.batch_set(items)

    def batch_delete(self, keys: Sequence[str]) -> int:
        return self._core.batch_delete(keys)

    def ttl(self, key: str) -> Optional[int]:
        return self._core.ttl(key)

    def expire(self, key: str, ttl_seconds: int) -> bool:
        return self._core.expire(key, ttl_seconds)

    def persist(self, key: str) -> bool:
        return self._core.persist(key)

    def set_if_absent(self, key: str, value: bytes, tags: Optional[List[str]] = None,
                      ttl_seconds: Optional[int] = None) -> bool:
        return self._core.set_if_absent(key, value, tags, ttl_seconds)

    def compare_and_set(self, key: str, expected_version: int, value: bytes,
                        tags: Optional[List[str]] = None, ttl_seconds: Optional[int] = None) -> bool:
        return self._core.compare_and_set(key, expected_version, value, tags, ttl_seconds)

    def increment(self, key: str, delta: int = 1) -> int:
        return self._core.increment(key, delta)

    def get_all_keys(self) -> List[str]:
        return self._core.get_all_keys()

    def scan(self, prefix: str = "", cursor: str = "", limit: int = 1000) -> tuple:
        """(keys, next_cursor): live keys starting with prefix after cursor, in key order."""
        return self._core.scan(prefix, cursor, limit)

    # -- Pythonic access ---------------------------------------------------------------------

    def __getitem__(self, key: str) -> bytes:
        return self._core.get(key)

    def __setitem__(self, key: str, value: bytes) -> None:
        self._core.set(key, value)

    def __delitem__(self, key: str) -> None:
        del self._core[key]

    def __contains__(self, key: object) -> bool:
        return key in self._core

    def __len__(self) -> int:
        return len(self._core)

    def __iter__(self) -> Iterator[str]:
        """Live keys in key order, a page at a time (keys written meanwhile may or may not show)."""
        cursor = ""
        while True:
            keys, cursor = self._core.scan("", cursor, 1000)
            yield from keys
            if not cursor:
                return

    def __enter__(self) -> "KeyValueStore":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KeyValueStore({self.name!r}, backend={self.storage_backend!r})"

    # -- tags and queries --------------------------------------------------------------------

    def query_by_tags(self, tags: List[str]) -> Dict[str, Dict[str, Any]]:
        """{key: metadata} of every key having all of tags (ValueError for an empty list)."""
        return {m["key"]: _convert.metadata(m, self.db, self.namespace)
                for m in self._core._query_tags_metadata(tags)}

    def query_by_tags_advanced(self, tags: List[str], operator: Union[str, QueryOperator] = "AND",
                               page: int = 1, page_size: int = 100) -> QueryResult:
        """A page of the keys having all (AND), any (OR) or none (NOT) of tags, sorted."""
        op = operator.value if isinstance(operator, QueryOperator) else str(operator).lower()
        result = QueryResult._from_core(self._core._query_tags(tags, op, page, page_size))
        self._query_stats.record(f"tags_{op}", result)
        return result

    def complex_query(self, conditions: List[Union[Dict[str, Any], QueryCondition]], page: int = 1,
                      page_size: int = 100) -> QueryResult:
        """Keys meeting every condition (see QueryCondition), a page at a time."""
        if not isinstance(conditions, (list, tuple)):
            raise TypeError("conditions must be a list of dicts or QueryConditions")
        result = QueryResult._from_core(
            self._core._complex_query([core_condition(c) for c in conditions], page, page_size))
        self._query_stats.record("complex", result)
        return result

    def query(self, expression: str, page: int = 1, page_size: int = 100) -> QueryResult:
        """A query in text form, e.g. 'tag:a AND (tag:b OR NOT tag:c) AND key:user:*'."""
        result = QueryResult._from_core(self._core._query(expression, page, page_size))
        self._query_stats.record("expression", result)
        return result

    def list_all_tags(self) -> Dict[str, int]:
        return self._core.list_all_tags()

    def optimize_indexes(self) -> None:
        self._core.optimize_indexes()

    def rebuild_indexes(self) -> None:
        self._core.rebuild_indexes()

    def clear_caches(self) -> None:
        self._core.clear_caches()

    # -- maintenance -------------------------------------------------------------------------

    def flush(self) -> None:
        """Makes every write so far durable before returning."""
        self._core.flush()

    def flush_if_needed(self) -> None:
        """Nothing to decide: the core flushes a full buffer itself."""

    def refresh(self) -> None:
        self._core.refresh()

    def flushdb(self) -> None:
        """Deletes every key of this namespace (only this one), atomically."""
        self._core.flushdb()

    def cleanup_expired(self) -> int:
        """Removes this namespace's expired keys now (they are invisible already); returns how many."""
        return self._core._cleanup_expired()

    def compact_storage(self, *, progress: Progress = None) -> Dict[str, Any]:
        report = self._core._compact(progress)
        return {
            "files_processed": report["segments_compacted"],
            "files_compressed": report["segments_written"],
            "files_missing": 0,
            "errors": 0,
            "total_entries": report["records_kept"] + report["records_dropped"],
            "bytes_before": report["bytes_before"],
            "bytes_after": report["bytes_after"],
            "size_before_bytes": report["bytes_before"],
            "size_after_bytes": report["bytes_after"],
            "duration_ms": report["duration_ms"],
            "time_taken_ms": report["duration_ms"],
            **report,
        }

    def get_stats(self) -> Dict[str, Any]:
        """The original's keys (db, namespace, count, size_bytes, tag_count, performance,
        index_stats, cache_stats, query_stats, active_transactions) and the core's own (backend,
        storage, index, transactions, components). JSON-serialisable by Flask's jsonify."""
        core = json.loads(self._core._stats_json())
        index = core.get("index", {})
        stats: Dict[str, Any] = {
            "db": self.db,
            "namespace": self.namespace,
            "count": core["key_count"],
            "size_bytes": core.get("storage", {}).get("live_bytes", 0),
            "tag_count": index.get("tags", 0),
            "performance": _performance(core, time.time() - self.metrics._started),
            "backend": core["backend"],
            "storage": core.get("storage", {}),
            "index": index,
            "transactions": core.get("transactions", {}),
            "components": core.get("components", {}),
        }
        if self.index_manager is not None:
            query_stats = self._query_stats.snapshot()
            lookups = index.get("cache_hits", 0) + index.get("cache_misses", 0)
            stats["index_stats"] = {"tag_index": index_stats(
                index, sum(self.list_all_tags().values()),
                query_stats.get("tags_and", {}).get("avg_time_ms", 0.0))}
            stats["cache_stats"] = {"query_cache": {
                "size": index.get("cache_entries", 0), "max_size": index.get("cache_capacity", 0),
                "hits": index.get("cache_hits", 0), "misses": index.get("cache_misses", 0),
                "evictions": index.get("cache_evictions", 0),
                "hit_rate": index.get("cache_hits", 0) / lookups if lookups else 0.0}}
            stats["query_stats"] = query_stats
        if self.transaction_manager is not None:
            stats["active_transactions"] = int(core.get("transactions", {}).get("active", 0))
        return stats

    # -- transactions ------------------------------------------------------------------------

    def _transactions(self) -> TransactionManager:
        if self.transaction_manager is None:
            raise RuntimeError("Transactions not enabled for this store")
        return self.transaction_manager

    def transaction(self, isolation_level: str = "READ_COMMITTED"):
        """``with store.transaction() as tx:`` stages tx.set/set_with_ttl/delete/batch_set/
        batch_delete (and reads with tx.get); they apply atomically when the block ends; an
        exception rolls back (nothing is written) and passes out unchanged."""
        return self._transactions().transaction(isolation_level)

    def begin_transaction(self, isolation_level: str = "READ_COMMITTED") -> Transaction:
        return self._transactions().begin_transaction(isolation_level)

    def commit_transaction(self, transaction: Transaction) -> bool:
        """True; RuntimeError unless active; TransactionConflict / TransactionTimeout leave it failed."""
        return self._transactions().commit_transaction(transaction)

    def rollback_transaction(self, transaction: Transaction) -> bool:
        return self._transactions().rollback_transaction(transaction)

    # -- backups, export, sync ---------------------------------------------------------------

    def _backups(self) -> None:
        if self.backup_manager is None:
            raise RuntimeError("Backup not enabled for this store")

    def create_backup(self, backup_id: Optional[str] = None, compression: bool = True, *,
                      progress: Progress = None) -> BackupMetadata:
        """A hot, point-in-time backup of the whole db (a unique id when none is given)."""
        self._backups()
        info = self._core._create_backup(backup_id or "", compression, progress)
        return BackupMetadata._from_core(info, self.namespace)

    def create_incremental_backup(self, parent_backup_id: str, backup_id: Optional[str] = None,
                                  compression: bool = True, *, progress: Progress = None) -> BackupMetadata:
        """What changed since parent_backup_id's chain, deletes and TTLs included."""
        self._backups()
        info = self._core._create_incremental_backup(parent_backup_id, backup_id or "", compression, progress)
        return BackupMetadata._from_core(info, self.namespace)

    def restore_backup(self, backup_id: str, verify_integrity: bool = True, clear_existing: bool = False, *,
                       progress: Progress = None) -> bool:
        """Restores backup_id (verifying its chain first); clear_existing replaces the whole db,
        otherwise the backup's keys are merged in. ValueError (NotFound) for an unknown id,
        RuntimeError (Corruption) when verification fails (nothing is changed then)."""
        self._backups()
        self._core._restore_backup(backup_id, verify_integrity, clear_existing, progress)
        return True

    def list_backups(self) -> List[BackupMetadata]:
        self._backups()
        return [BackupMetadata._from_core(info, self.namespace) for info in self._core._list_backups()]

    def verify_backup(self, backup_id: str) -> bool:
        """Recomputes every checksum of the chain; False for damage or an unknown id."""
        self._backups()
        return verify(self._core, backup_id)

    def delete_backup(self, backup_id: str, force: bool = False) -> bool:
        """Deletes a backup: False for an unknown id; ValueError when other backups depend on it
        (unless force, which deletes them too)."""
        self._backups()
        try:
            deleted = self._core.delete_backup(backup_id, force)
        except _core.NotFound:
            return False
        if not deleted:
            raise ValueError(f"Cannot delete backup {backup_id}: other backups depend on it")
        return True

    def cleanup_old_backups(self, keep_days: int = 30, keep_count: int = 10) -> int:
        """Deletes backups beyond the newest keep_count older than keep_days, never one a kept
        backup depends on; returns how many."""
        self._backups()
        return self._core._cleanup_old_backups(keep_count, keep_days)

    def export_jsonl(self, path: str, *, progress: Progress = None) -> Dict[str, Any]:
        return self._core.export_jsonl(os.fsencode(path), progress)

    def import_jsonl(self, path: str, skip_invalid: bool = False, *, progress: Progress = None) -> Dict[str, Any]:
        return self._core.import_jsonl(os.fsencode(path), skip_invalid, progress)

    def sync_to(self, other: "KeyValueStore", remove_extraneous: bool = False, *,
                progress: Progress = None) -> Dict[str, Any]:
        return self._core.sync_to(other._core, remove_extraneous, progress)

    def close(self) -> None:
        """Flushes and releases the store; later calls raise ValueError. Idempotent."""
        self._core.close()


def _settings_of(options: Dict[str, Any]) -> Dict[str, Any]:
    if options["backend"] == "redis":
        names = {"redis_host": "host", "redis_port": "port", "redis_database": "db",
                 "redis_password": "password", "redis_username": "username", "redis_url": "url",
                 "redis_key_prefix": "key_prefix"}
        return {names[k]: v for k, v in options.items() if k in names}
    if options["backend"] == "fs":
        return {"base_path": os.fsdecode(options["data_folder"])}
    return {}
