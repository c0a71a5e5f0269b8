"""Backends (the original's ``nadb.storage_backends`` names). The storage itself is the C++
core's: "fs" (a log-structured engine in data_folder_path), "memory", and "redis". The
objects here describe a backend's settings and capabilities; giving one to
``KeyValueStore.storage`` reopens the store on it (what the original's examples do to point a
store at another Redis server)."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional


@dataclasses.dataclass(frozen=True)
class BackendCapabilities:
    supports_buffering: bool = True
    supports_native_ttl: bool = False
    supports_transactions: bool = True
    supports_metadata: bool = True
    supports_atomic_writes: bool = True
    write_strategy: str = "auto"
    is_distributed: bool = False
    is_persistent: bool = True
    supports_compression: bool = True
    supports_native_queries: bool = False
    max_value_size_bytes: Optional[int] = None
    name: str = ""
    supports_physical_backups: bool = False

    @classmethod
    def _from_core(cls, core: Dict[str, Any]) -> "BackendCapabilities":
        name = core["name"]
        return cls(
            supports_buffering=name == "fs",
            supports_native_ttl=name == "redis",
            write_strategy="buffered" if name == "fs" else "immediate",
            is_distributed=bool(core["shared_by_processes"]),
            is_persistent=bool(core["persistent"]),
            max_value_size_bytes=int(core["max_value_size"]) or None,
            name=name,
            supports_physical_backups=bool(core["physical_backups"]),
        )


class StorageBackend:
    """A backend's settings: ``backend`` is the core's name, ``options`` the store options it sets."""

    backend = ""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def store_options(self) -> Dict[str, Any]:
        return dict(self.options)

    def close_connections(self) -> None:
        """Nothing to do: the store owns its connections (KeyValueStore.close releases them)."""


class StorageFactory:
    """``create_storage("fs" | "memory" | "redis", **settings)``; ValueError for another name
    (the original fell back to fs silently)."""

    @staticmethod
    def create_storage(backend_type: str, **kwargs: Any) -> StorageBackend:
        from .fs import FileSystemStorage
        from .memory import MemoryStorage
        from .redis import RedisStorage

        kinds = {"fs": FileSystemStorage, "memory": MemoryStorage, "redis": RedisStorage}
        if backend_type not in kinds:
            raise ValueError(f"Cannot create storage backend '{backend_type}' (one of fs, memory, redis)")
        return kinds[backend_type](**kwargs)

    @staticmethod
    def available_backends() -> list:
        return ["fs", "memory", "redis"]


__all__ = ["BackendCapabilities", "StorageBackend", "StorageFactory"]
