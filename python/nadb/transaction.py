"""Transactions (the original's ``nadb.transaction`` names) on the core's atomic batches.

Writes are staged and applied at commit as one atomic batch (all or nothing, also across a
crash); rollback discards and never writes; ``get`` reads the transaction's own writes first;
SERIALIZABLE validates what was read and raises TransactionConflict at commit if it changed."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import threading
import time
import weakref
from typing import Any, Iterator, List, Optional, Sequence, Tuple

from . import _core


class TransactionState(enum.Enum):
    ACTIVE = "active"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled_back"
    FAILED = "failed"


ISOLATION_LEVELS = ("READ_COMMITTED", "SERIALIZABLE")
_STATES = list(TransactionState)  # in the order of the core's TransactionState


@dataclasses.dataclass
class Operation:
    """A staged operation, as the original recorded it (no before-images: rollback never writes)."""

    op_type: str  # "set" | "set_with_ttl" | "delete"
    key: str
    value: Optional[bytes] = None
    tags: Optional[List[str]] = None
    ttl: Optional[int] = None


class Transaction:
    """A transaction from ``KeyValueStore.begin_transaction``. Stage with the methods below (or
    ``add_operation``), then ``commit_transaction`` / ``rollback_transaction``. Thread-safe."""

    def __init__(self, core: _core.Transaction, isolation_level: str) -> None:
        self._core = core
        self._lock = threading.Lock()
        self.transaction_id: str = core.id
        self.isolation_level = isolation_level
        self.operations: List[Operation] = []
        self.created_at = time.time()
        self.committed_at: Optional[float] = None
        self.rolled_back_at: Optional[float] = None

    @property
    def state(self) -> TransactionState:
        return _STATES[self._core.state]

    def add_operation(self, op_type: str, key: str, value: Optional[bytes] = None,
                      tags: Optional[List[str]] = None, ttl: Optional[int] = None) -> Operation:
        """Stages one operation; RuntimeError unless the transaction is active."""
        if self.state is not TransactionState.ACTIVE:
            raise RuntimeError(f"Cannot add operations to {self.state.value} transaction")
        if op_type == "set":
            self._core.set(key, value, tags)
        elif op_type == "set_with_ttl":
            self._core.set_with_ttl(key, value, ttl, tags)
        elif op_type == "delete":
            self._core.delete(key)
        else:
            raise ValueError(f"Unknown operation type '{op_type}' (set, set_with_ttl, delete)")
        operation = Operation(op_type, key, value, list(tags) if tags else None, ttl)
        with self._lock:
            self.operations.append(operation)
        return operation

    def get(self, key: str) -> Optional[bytes]:
        """The value as this transaction sees it (its own writes first), or None."""
        return self._core.get(key)

    def _commit(self, durability: Optional[str] = None) -> None:
        if self.state is not TransactionState.ACTIVE:
            raise RuntimeError(f"Cannot commit {self.state.value} transaction")
        self._core.commit(durability)
        self.committed_at = time.time()

    def _rollback(self) -> bool:
        if self.state not in (TransactionState.ACTIVE, TransactionState.FAILED):
            return False
        if self.state is TransactionState.ACTIVE:
            self._core.rollback()
        self.rolled_back_at = time.time()
        return True


class TransactionContext:
    """What ``with store.transaction() as tx`` gives: stage writes; they apply when the block
    ends normally, atomically; an exception rolls everything back and passes out unchanged."""

    def __init__(self, transaction: Transaction) -> None:
        self.transaction = transaction

    def set(self, key: str, value: bytes, tags: Optional[List[str]] = None) -> None:
        self.transaction.add_operation("set", key, value, tags)

    def set_with_ttl(self, key: str, value: bytes, ttl_seconds: int,
                     tags: Optional[List[str]] = None) -> None:
        self.transaction.add_operation("set_with_ttl", key, value, tags, ttl_seconds)

    def delete(self, key: str) -> None:
        self.transaction.add_operation("delete", key)

    def get(self, key: str) -> Optional[bytes]:
        return self.transaction.get(key)

    def batch_set(self, items: Sequence[Tuple[Any, ...]]) -> None:
        """Stages (key, value) or (key, value, tags) items."""
        for item in items:
            if not isinstance(item, tuple) or len(item) not in (2, 3):
                raise ValueError("batch_set items must be (key, value) or (key, value, tags) tuples")
            self.set(*item)

    def batch_delete(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.delete(key)

    def get_operation_count(self) -> int:
        return self.transaction._core.operation_count()


class TransactionManager:
    """The original's ``store.transaction_manager``: begins, commits and rolls back, and knows
    which transactions are active (thread-safe)."""

    def __init__(self, kv_store) -> None:
        self._store = weakref.proxy(kv_store)  # the store owns its managers, not the reverse
        self._lock = threading.Lock()
        # Weak: a transaction dropped unfinished is rolled back by the core when collected.
        self.active_transactions: weakref.WeakValueDictionary = weakref.WeakValueDictionary()

    def begin_transaction(self, isolation_level: str = "READ_COMMITTED") -> Transaction:
        if isolation_level not in ISOLATION_LEVELS:
            raise ValueError(f"Unknown isolation level '{isolation_level}' (READ_COMMITTED or SERIALIZABLE)")
        transaction = Transaction(self._store._core._begin(isolation_level), isolation_level)
        with self._lock:
            self.active_transactions[transaction.transaction_id] = transaction
        return transaction

    def _finished(self, transaction: Transaction) -> None:
        with self._lock:
            self.active_transactions.pop(transaction.transaction_id, None)

    def commit_transaction(self, transaction: Transaction) -> bool:
        try:
            transaction._commit()
        finally:
            if transaction.state is not TransactionState.ACTIVE:
                self._finished(transaction)
        return True

    def rollback_transaction(self, transaction: Transaction) -> bool:
        rolled_back = transaction._rollback()
        self._finished(transaction)
        return rolled_back

    @contextlib.contextmanager
    def transaction(self, isolation_level: str = "READ_COMMITTED") -> Iterator[TransactionContext]:
        transaction = self.begin_transaction(isolation_level)
        try:
            yield TransactionContext(transaction)
        except BaseException:
            self.rollback_transaction(transaction)
            raise
        self.commit_transaction(transaction)

    def get_active_transactions(self) -> List[Transaction]:
        with self._lock:
            return list(self.active_transactions.values())

    def cleanup_stale_transactions(self, max_age_seconds: float = 3600) -> int:
        """Rolls back active transactions older than max_age_seconds; returns how many."""
        now = time.time()
        stale = [t for t in self.get_active_transactions() if now - t.created_at >= max_age_seconds]
        for transaction in stale:
            self.rollback_transaction(transaction)
        return len(stale)
