"""The fs backend's settings (``FileSystemStorage(base_path)``)."""

from __future__ import annotations

import os
from typing import Any, Dict, Optional

from . import StorageBackend


class FileSystemStorage(StorageBackend):
    backend = "fs"

    def __init__(self, base_path: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_path = None if base_path is None else os.fspath(base_path)

    def store_options(self) -> Dict[str, Any]:
        options = super().store_options()
        if self.base_path is not None:
            options["data_folder"] = os.fsencode(self.base_path)
        return options
