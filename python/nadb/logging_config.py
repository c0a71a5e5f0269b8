"""Structured logging (the original's ``nadb.logging_config`` names) on Python's logging.

Nothing is configured at import (no handlers, no ./logs folder, no change to the root logger):
``LoggingConfig.setup_logging()`` does it when the application asks, and can also send the C++
core's own log lines (JSON) to a file beside the Python ones."""

from __future__ import annotations

import copy
import json
import logging
import logging.config
import os
import threading
import time
from datetime import datetime, timezone
from typing import Any, Dict, Optional

from . import _core

_STANDARD_ATTRIBUTES = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class StructuredFormatter(logging.Formatter):
    """One JSON object per line: timestamp (UTC, ISO-8601), level, logger, message, module,
    function, line, thread, and every ``extra`` field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: Dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "module": record.module,
            "function": record.funcName,
            "line": record.lineno,
            "thread": record.threadName,
        }
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class PerformanceLogger:
    """Timed operations and metrics logged at INFO on logger ``logger_name``. Thread-safe;
    operations started and never ended are forgotten after ``max_pending`` newer ones."""

    def __init__(self, logger_name: str, max_pending: int = 10000) -> None:
        self.logger = logging.getLogger(logger_name)
        self._lock = threading.Lock()
        self._pending: Dict[str, tuple] = {}
        self._max_pending = max_pending

    def start_operation(self, operation_id: str, operation_type: str, **kwargs: Any) -> None:
        with self._lock:
            if len(self._pending) >= self._max_pending:
                self._pending.pop(next(iter(self._pending)))
            self._pending[operation_id] = (time.perf_counter(), operation_type, kwargs)

    def end_operation(self, operation_id: str, success: bool = True, **kwargs: Any) -> None:
        with self._lock:
            started = self._pending.pop(operation_id, None)
        if started is None:
            self.logger.warning("Operation %s not found in start times", operation_id)
            return
        start, operation_type, start_fields = started
        fields = {"operation": operation_type, "operation_id": operation_id,
                  "duration_ms": round((time.perf_counter() - start) * 1000, 3), "success": success,
                  **start_fields, **kwargs}
        level = logging.INFO if success else logging.ERROR
        self.logger.log(level, "Operation %s completed", operation_type, extra=fields, stacklevel=2)

    def log_metric(self, metric_name: str, value: Any, **kwargs: Any) -> None:
        self.logger.info("Metric: %s = %s", metric_name, value,
                         extra={"metric": metric_name, "value": value, **kwargs}, stacklevel=2)


class LoggingConfig:
    DEFAULT_CONFIG: Dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {"()": "nadb.logging_config.StructuredFormatter"},
            "console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "console", "level": "WARNING"},
        },
        "loggers": {"nadb": {"level": "INFO", "handlers": ["console"], "propagate": False}},
    }
    _performance_loggers: Dict[str, PerformanceLogger] = {}
    _lock = threading.Lock()

    @classmethod
    def setup_logging(cls, config: Optional[Dict[str, Any]] = None, log_dir: Optional[str] = None,
                      core_level: str = "warning") -> None:
        """Applies config (a logging.config.dictConfig dict; the default logs nadb.* warnings to
        stderr). With log_dir, nadb.* records also go as JSON lines to log_dir/nadb.log
        (rotated at 10 MB, 5 kept). The C++ core logs through its own sinks, not Python's
        logging: its lines at core_level and above go to log_dir/nadb-core.log (JSON) when
        log_dir is given, else to stderr (text)."""
        settings = copy.deepcopy(config if config is not None else cls.DEFAULT_CONFIG)
        if log_dir is not None:
            os.makedirs(log_dir, exist_ok=True)
            settings.setdefault("handlers", {})["nadb_file"] = {
                "class": "logging.handlers.RotatingFileHandler", "formatter": "structured",
                "filename": os.path.join(log_dir, "nadb.log"), "maxBytes": 10 << 20, "backupCount": 5}
            settings.setdefault("formatters", {}).setdefault(
                "structured", {"()": "nadb.logging_config.StructuredFormatter"})
            nadb_logger = settings.setdefault("loggers", {}).setdefault("nadb", {"level": "INFO"})
            nadb_logger.setdefault("handlers", []).append("nadb_file")
        _core._setup_logging(core_level, "" if log_dir is None else os.path.join(log_dir, "nadb-core.log"))
        logging.config.dictConfig(settings)

    @classmethod
    def flush(cls) -> None:
        """Writes out what the nadb.* handlers and the core's log file have buffered."""
        for handler in logging.getLogger("nadb").handlers:
            handler.flush()
        _core._flush_logging()

    @classmethod
    def get_logger(cls, name: str) -> logging.Logger:
        return logging.getLogger(f"nadb.{name}")

    @classmethod
    def get_performance_logger(cls, component: str) -> PerformanceLogger:
        """One PerformanceLogger per component (nadb.performance.<component>), kept."""
        with cls._lock:
            if component not in cls._performance_loggers:
                cls._performance_loggers[component] = PerformanceLogger(f"nadb.performance.{component}")
            return cls._performance_loggers[component]
