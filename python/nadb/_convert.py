"""Conversions between the core's raw results (times in ms since the epoch) and the
original API's shapes (naive local ISO-8601 strings, as the original wrote them)."""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any, Dict, Optional


def iso(ms: Optional[int]) -> Optional[str]:
    return None if ms is None else datetime.fromtimestamp(ms / 1000).isoformat()


def to_epoch_ms(value: Any) -> int:
    """A datetime (naive = local time), an ISO-8601 string or seconds since the epoch."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return int(round(value.timestamp() * 1000))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(round(value * 1000))
    raise TypeError(f"a time must be a datetime, an ISO string or seconds, not {type(value).__name__}")


def metadata(raw: Dict[str, Any], db: str, namespace: str) -> Dict[str, Any]:
    """The original's metadata dict (key, db, namespace, size, ttl, tags, created_at,
    last_updated) plus what the core knows besides (stored_size, expires_at, version...).
    ttl is the time left, in whole seconds rounded up (None: no TTL)."""
    expires_ms = raw["expires_ms"]
    ttl = None
    if expires_ms is not None:
        ttl = max(1, math.ceil((expires_ms - time.time() * 1000) / 1000))
    return {
        "key": raw["key"],
        "db": db,
        "namespace": namespace,
        "size": raw["size"],
        "stored_size": raw["stored_size"],
        "ttl": ttl,
        "tags": raw["tags"],
        "created_at": iso(raw["created_ms"]),
        "last_updated": iso(raw["updated_ms"]),
        "expires_at": iso(expires_ms),
        "compressed": raw["compressed"],
        "version": raw["version"],
    }
