"""The redis backend's settings, with the original ``RedisStorage`` signature:
``RedisStorage(base_path=None, host="localhost", port=6379, db=0, password=None,
socket_timeout=10.0, connection_timeout=5.0, max_connections=10, connection_pool_timeout=20)``
(seconds), plus ``url``, ``username``, ``key_prefix`` and ``health_check_interval``."""

from __future__ import annotations

from typing import Any, Dict, Optional

from . import StorageBackend


def redis_options(settings: Dict[str, Any]) -> Dict[str, Any]:
    """Store options from original-style Redis settings (storage_options or RedisStorage
    arguments); ValueError names a setting it does not know."""
    known = {
        "host": ("redis_host", str),
        "port": ("redis_port", int),
        "db": ("redis_database", int),
        "password": ("redis_password", None),
        "username": ("redis_username", None),
        "url": ("redis_url", None),
        "key_prefix": ("redis_key_prefix", None),
        "max_connections": ("redis_pool_size", int),
        "socket_timeout": ("redis_socket_timeout_ms", "seconds"),
        "connection_timeout": ("redis_connect_timeout_ms", "seconds"),
        "socket_connect_timeout": ("redis_connect_timeout_ms", "seconds"),
        "connection_pool_timeout": ("redis_pool_wait_timeout_ms", "seconds"),
        "health_check_interval": ("redis_health_check_interval_ms", "seconds"),
    }
    options: Dict[str, Any] = {}
    for name, value in settings.items():
        if name not in known:
            raise ValueError(f"unknown Redis setting '{name}' (one of {', '.join(sorted(known))})")
        option, kind = known[name]
        if value is None or (name in ("password", "username") and value == ""):
            continue  # an empty password means no AUTH, as in the original's .env files
        if kind == "seconds":
            value = int(round(float(value) * 1000))
        elif kind is not None:
            value = kind(value)
        options[option] = value
    return options


class RedisStorage(StorageBackend):
    backend = "redis"

    def __init__(self, base_path: Optional[str] = None, host: str = "localhost", port: int = 6379,
                 db: int = 0, password: Optional[str] = None, socket_timeout: float = 10.0,
                 connection_timeout: float = 5.0, max_connections: int = 10,
                 connection_pool_timeout: float = 20, **kwargs: Any) -> None:
        settings = dict(host=host, port=port, db=db, password=password, socket_timeout=socket_timeout,
                        connection_timeout=connection_timeout, max_connections=max_connections,
                        connection_pool_timeout=connection_pool_timeout, **kwargs)
        super().__init__(**redis_options(settings))
        self.base_path = base_path
        self.connection_params = settings
