"""NADB: a key-value store with tags, tag queries, TTL, compression, transactions and backups,
on a C++ core (embedded, or on Redis when many machines share it). The API is the original
Python NADB's; docs/PYTHON.md lists where it deliberately behaves differently."""

from ._core import (BackendUnavailable, Corruption, InvalidArgument, IOError, Locked, NadbError,
                    NotFound, NotSupported, TransactionConflict, TransactionTimeout, __version__)
from .backup_manager import BackupManager, BackupMetadata
from .index_manager import IndexManager, IndexStats, QueryCondition, QueryOperator, QueryResult
from .logging_config import LoggingConfig, PerformanceLogger, StructuredFormatter
from .nakv import KeyValueStore, KeyValueSync, PerformanceMetrics
from .storage_backends import BackendCapabilities, StorageFactory
from .transaction import Transaction, TransactionContext, TransactionManager, TransactionState

__all__ = [
    "KeyValueStore", "KeyValueSync", "PerformanceMetrics", "LoggingConfig", "PerformanceLogger",
    "StructuredFormatter", "QueryOperator", "QueryCondition", "QueryResult", "IndexStats",
    "IndexManager", "TransactionState", "Transaction", "TransactionContext", "TransactionManager",
    "BackupMetadata", "BackupManager", "StorageFactory", "BackendCapabilities", "NadbError",
    "InvalidArgument", "Corruption", "Locked", "TransactionConflict", "TransactionTimeout",
    "BackendUnavailable", "NotSupported", "NotFound", "__version__",
]
