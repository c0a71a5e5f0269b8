"""The memory backend's settings (``MemoryStorage()``): nothing persists past close."""

from __future__ import annotations

from . import StorageBackend


class MemoryStorage(StorageBackend):
    backend = "memory"
