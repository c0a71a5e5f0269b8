"""Backups (the original's ``nadb.backup_manager`` names) on the core's backups: hot,
point-in-time, SHA-256-checked snapshots of the whole db kept under ``backup_dir`` (default
``<data_folder>/backups/<db>``, never the working directory); incrementals store what their
chain lacks, so deletes and TTLs restore exactly; retention never breaks a kept chain."""

from __future__ import annotations

import weakref

import dataclasses
from typing import Any, Callable, Dict, List, Optional

from . import _core


@dataclasses.dataclass
class BackupMetadata:
    backup_id: str
    timestamp: str  # ISO-8601 UTC of the snapshot instant
    backup_type: str  # "full" | "incremental"
    source_db: str
    source_namespace: str
    file_count: int  # live keys of the db at the snapshot instant (the original: items stored)
    total_size: int  # bytes the backup stores
    checksum: str  # SHA-256 of the backup's manifest, which holds every file's SHA-256
    parent_backup_id: Optional[str] = None
    compression: bool = True
    namespaces: List[str] = dataclasses.field(default_factory=list)
    files_stored: int = 0

    @classmethod
    def _from_core(cls, info: Dict[str, Any], namespace: str) -> "BackupMetadata":
        return cls(
            backup_id=info["id"],
            timestamp=info["created_at"],
            backup_type=info["type"],
            source_db=info["db"],
            source_namespace=namespace,
            file_count=info["key_count"],
            total_size=info["stored_bytes"],
            checksum=info["checksum"],
            parent_backup_id=info["parent"] or None,
            compression=info["compressed"],
            namespaces=list(info["namespaces"]),
            files_stored=info["file_count"],
        )


Progress = Optional[Callable[[int, int], None]]


class BackupManager:
    """The original's ``store.backup_manager``; every method is also on the store."""

    def __init__(self, kv_store) -> None:
        self._store = weakref.proxy(kv_store)  # the store owns its managers, not the reverse

    def create_full_backup(self, backup_id: Optional[str] = None, compression: bool = True) -> BackupMetadata:
        return self._store.create_backup(backup_id, compression)

    def create_incremental_backup(self, parent_backup_id: str, backup_id: Optional[str] = None,
                                  compression: bool = True) -> BackupMetadata:
        return self._store.create_incremental_backup(parent_backup_id, backup_id, compression)

    def restore_backup(self, backup_id: str, verify_integrity: bool = True, clear_existing: bool = False) -> bool:
        return self._store.restore_backup(backup_id, verify_integrity, clear_existing)

    def verify_backup_integrity(self, backup_id: str) -> bool:
        return self._store.verify_backup(backup_id)

    def list_backups(self) -> List[BackupMetadata]:
        return self._store.list_backups()

    def delete_backup(self, backup_id: str, force: bool = False) -> bool:
        return self._store.delete_backup(backup_id, force)

    def cleanup_old_backups(self, keep_days: int = 30, keep_count: int = 10) -> int:
        return self._store.cleanup_old_backups(keep_days, keep_count)


def verify(core: _core.Store, backup_id: str) -> bool:
    """The original's verify: False (not an exception) for an unknown id."""
    try:
        ok, _problems = core._verify_backup(backup_id)
    except _core.NotFound:
        return False
    return bool(ok)
