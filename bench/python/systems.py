"""The systems compared from Python: nadb (fs) and its peers, each doing the workload's phases
the way its users would (tags idiomatically per system, as bench/ does for the C++ peers).

Every system has: open(folder), set_all(workload) (durable at return), get(key) -> bytes,
query(tag_a, tag_b) -> list of keys (AND), delete_all(keys) (durable at return),
close(), count() (after reopen)."""

from __future__ import annotations

import os
import sqlite3


class Nadb:
    """nadb's fs backend through the original API (set with tags, flush for durability)."""

    name = "nadb"

    def open(self, folder: str) -> None:
        import nadb

        self.folder = folder
        self.store = nadb.KeyValueStore(folder, "bench", 4, "default", None)

    def set_all(self, w) -> None:
        set_ = self.store.set
        for key, value, tags in zip(w.keys, w.values, w.tags):
            set_(key, value, list(tags))
        self.store.flush()

    def getter(self):
        return self.store.get

    def query(self, a: str, b: str) -> list:
        return self.store.query_by_tags_advanced([a, b], "AND", 1, 100000).keys

    def delete_all(self, keys, tags_of) -> None:
        delete = self.store.delete
        for key in keys:
            delete(key)
        self.store.flush()

    def close(self) -> None:
        self.store.close()

    def count(self) -> int:
        return len(self.store)


class Lmdb:
    """python3-lmdb: one write transaction per phase (durable at commit), values in a main
    database, tag -> key pairs in a DUPSORT database; AND intersects two duplicate lists."""

    name = "lmdb"

    def open(self, folder: str) -> None:
        import lmdb

        self.env = lmdb.open(folder, map_size=4 << 30, max_dbs=2)
        self.main = self.env.open_db(b"main")
        self.tags = self.env.open_db(b"tags", dupsort=True)
        self.read = None

    def set_all(self, w) -> None:
        main, tags = self.main, self.tags
        with self.env.begin(write=True) as txn:
            for key, value, (a, b) in zip(w.keys, w.values, w.tags):
                k = key.encode()
                txn.put(k, value, db=main)
                txn.put(a.encode(), k, db=tags)
                txn.put(b.encode(), k, db=tags)

    def getter(self):
        self.read = self.env.begin()
        get, main = self.read.get, self.main
        return lambda key: get(key.encode(), db=main)

    def _keys_of(self, txn, tag: str) -> list:
        cursor = txn.cursor(db=self.tags)
        if not cursor.set_key(tag.encode()):
            return []
        return list(cursor.iternext_dup())

    def query(self, a: str, b: str) -> list:
        txn = self.read
        both = set(self._keys_of(txn, a)).intersection(self._keys_of(txn, b))
        return [k.decode() for k in sorted(both)]

    def delete_all(self, keys, tags_of) -> None:
        self.read.abort()
        with self.env.begin(write=True) as txn:
            for key in keys:
                k = key.encode()
                txn.delete(k, db=self.main)
                for t in tags_of(key):
                    txn.delete(t.encode(), k, db=self.tags)

    def close(self) -> None:
        self.env.close()

    def count(self) -> int:
        with self.env.begin() as txn:
            return txn.stat(self.main)["entries"]


class Plyvel:
    """python3-plyvel (LevelDB): a WriteBatch per phase written with sync; tags as keys
    "\\x01tag\\x00key" so that a tag's keys are one prefix range."""

    name = "plyvel"

    def open(self, folder: str) -> None:
        import plyvel

        self.db = plyvel.DB(folder, create_if_missing=True)

    @staticmethod
    def _tag_key(tag: str, k: bytes) -> bytes:
        return b"\x01" + tag.encode() + b"\x00" + k

    def set_all(self, w) -> None:
        with self.db.write_batch(sync=True) as batch:
            for key, value, (a, b) in zip(w.keys, w.values, w.tags):
                k = b"\x02" + key.encode()
                batch.put(k, value)
                batch.put(self._tag_key(a, k[1:]), b"")
                batch.put(self._tag_key(b, k[1:]), b"")

    def getter(self):
        get = self.db.get
        return lambda key: get(b"\x02" + key.encode())

    def _keys_of(self, tag: str) -> list:
        prefix = b"\x01" + tag.encode() + b"\x00"
        return [k[len(prefix):] for k in self.db.iterator(prefix=prefix, include_value=False)]

    def query(self, a: str, b: str) -> list:
        both = set(self._keys_of(a)).intersection(self._keys_of(b))
        return [k.decode() for k in sorted(both)]

    def delete_all(self, keys, tags_of) -> None:
        with self.db.write_batch(sync=True) as batch:
            for key in keys:
                k = key.encode()
                batch.delete(b"\x02" + k)
                for t in tags_of(key):
                    batch.delete(self._tag_key(t, k))

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        return sum(1 for _ in self.db.iterator(prefix=b"\x02", include_value=False))


class Diskcache:
    """python3-diskcache: values in a Cache (SQLite underneath), each phase in one
    cache.transact(); its own `tag` holds one tag per item, so each tag's key set is kept as a
    diskcache value, maintained in memory during a phase and written once at its end."""

    name = "diskcache"

    def open(self, folder: str) -> None:
        import diskcache

        self.cache = diskcache.Cache(folder)

    def set_all(self, w) -> None:
        postings: dict = {}
        set_ = self.cache.set
        with self.cache.transact():  # diskcache's way to load in bulk: one SQLite transaction
            for key, value, (a, b) in zip(w.keys, w.values, w.tags):
                set_(key, value)
                postings.setdefault(a, set()).add(key)
                postings.setdefault(b, set()).add(key)
            for tag, keys in postings.items():
                self.cache.set(("tag", tag), keys)
        self.tags_known = sorted(postings)

    def getter(self):
        return self.cache.get

    def query(self, a: str, b: str) -> list:
        return sorted(self.cache.get(("tag", a), set()) & self.cache.get(("tag", b), set()))

    def delete_all(self, keys, tags_of) -> None:
        touched: dict = {}
        with self.cache.transact():
            for key in keys:
                self.cache.delete(key)
                for t in tags_of(key):
                    if t not in touched:
                        touched[t] = self.cache.get(("tag", t), set())
                    touched[t].discard(key)
            for tag, members in touched.items():
                self.cache.set(("tag", tag), members)

    def close(self) -> None:
        self.cache.close()

    def count(self) -> int:
        return sum(1 for k in self.cache.iterkeys() if not isinstance(k, tuple))


class Sqlite:
    """sqlite3 (WAL, synchronous=FULL): one transaction per phase; kv(key, value) and
    tags(tag, key) WITHOUT ROWID; AND is an INTERSECT, ordered by key."""

    name = "sqlite"

    def open(self, folder: str) -> None:
        os.makedirs(folder, exist_ok=True)
        self.db = sqlite3.connect(os.path.join(folder, "bench.db"), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
        self.db.execute("CREATE TABLE IF NOT EXISTS tags(tag TEXT, key TEXT, PRIMARY KEY(tag, key)) WITHOUT ROWID")

    def set_all(self, w) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO kv VALUES (?, ?)", zip(w.keys, w.values))
        self.db.executemany("INSERT OR REPLACE INTO tags VALUES (?, ?)",
                            ((t, key) for key, pair in zip(w.keys, w.tags) for t in pair))
        self.db.execute("COMMIT")

    def getter(self):
        execute = self.db.execute
        return lambda key: execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()[0]

    def query(self, a: str, b: str) -> list:
        rows = self.db.execute("SELECT key FROM tags WHERE tag = ? INTERSECT "
                               "SELECT key FROM tags WHERE tag = ? ORDER BY key", (a, b))
        return [r[0] for r in rows]

    def delete_all(self, keys, tags_of) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("DELETE FROM kv WHERE key = ?", ((k,) for k in keys))
        self.db.executemany("DELETE FROM tags WHERE tag = ? AND key = ?",
                            ((t, k) for k in keys for t in tags_of(k)))
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM kv").fetchone()[0]


SYSTEMS = {s.name: s for s in (Nadb, Lmdb, Plyvel, Diskcache, Sqlite)}
