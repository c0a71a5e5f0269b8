"""The package around the store: the original's module names, no side effects at import,
exceptions, logging, the sync, type stubs."""

from __future__ import annotations

import ast
import json
import logging
import os
import subprocess
import sys

import pytest

import nadb
from nadb import _core


def test_the_original_module_names_import():
    from nadb.backup_manager import BackupManager, BackupMetadata  # noqa: F401
    from nadb.index_manager import IndexManager, QueryCondition, QueryOperator, QueryResult  # noqa: F401
    from nadb.logging_config import LoggingConfig, PerformanceLogger, StructuredFormatter  # noqa: F401
    from nadb.nakv import KeyValueStore, KeyValueSync, PerformanceMetrics  # noqa: F401
    from nadb.storage_backends import BackendCapabilities, StorageFactory  # noqa: F401
    from nadb.storage_backends.fs import FileSystemStorage  # noqa: F401
    from nadb.storage_backends.redis import RedisStorage  # noqa: F401
    from nadb.transaction import TransactionContext, TransactionManager, TransactionState  # noqa: F401

    assert nadb.__version__.count(".") == 2
    assert StorageFactory.create_storage("redis", host="h", port=1).options["redis_host"] == "h"
    with pytest.raises(ValueError, match="memcache"):
        StorageFactory.create_storage("memcache")


def test_importing_changes_no_logging_and_creates_nothing(tmp_path):
    code = ("import logging, os\nbefore = (logging.getLogger().handlers[:], logging.getLogger().level)\n"
            "import nadb\nassert (logging.getLogger().handlers, logging.getLogger().level) == before\n"
            "assert os.listdir('.') == []\nprint('ok')")
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(nadb.__file__)))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": package_root})
    assert out.stdout.strip() == "ok", out.stderr


def test_every_core_error_has_its_python_class_and_message():
    expected = {"InvalidArgument": ValueError, "IOError": OSError, "Corruption": RuntimeError,
                "Locked": RuntimeError, "TransactionConflict": RuntimeError, "TransactionTimeout": RuntimeError,
                "BackendUnavailable": ConnectionError, "NotSupported": RuntimeError, "NotFound": ValueError}
    for name, builtin in expected.items():
        cls = getattr(nadb, name)
        assert issubclass(cls, nadb.NadbError) and issubclass(cls, builtin), name


def test_an_io_error_from_the_core_is_an_oserror_naming_the_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(nadb.IOError) as raised:
        nadb.KeyValueStore(str(blocker), "db", 1, "ns", None)
    assert isinstance(raised.value, OSError) and "file" in str(raised.value)


def test_logging_setup_writes_json_lines_for_python_and_the_core(tmp_path, store):
    logs = tmp_path / "logs"
    nadb.LoggingConfig.setup_logging(log_dir=str(logs), core_level="info")
    try:
        logger = nadb.LoggingConfig.get_logger("app")
        logger.info("hello", extra={"user": "ana"})
        perf = nadb.LoggingConfig.get_performance_logger("app")
        assert perf is nadb.LoggingConfig.get_performance_logger("app")
        perf.start_operation("op1", "import", rows=3)
        perf.end_operation("op1", success=True, extra_field=1)
        perf.end_operation("never-started")
        perf.log_metric("latency", 42.5, unit="ms")
        store.set("k", b"v")
        store.create_backup("logged")
        nadb.LoggingConfig.flush()
        lines = [json.loads(line) for line in (logs / "nadb.log").read_text().splitlines()]
        assert lines[0]["message"] == "hello" and lines[0]["user"] == "ana"
        done = next(line for line in lines if line.get("operation") == "import")
        assert done["rows"] == 3 and done["success"] is True and done["duration_ms"] >= 0
        assert any("not found" in line["message"] for line in lines)
        assert any(line.get("metric") == "latency" and line["unit"] == "ms" for line in lines)
        core = (logs / "nadb-core.log").read_text().splitlines()
        assert core and all(json.loads(line)["component"].startswith("nadb") for line in core)
    finally:
        _core._setup_logging("warning", "")
        logging.getLogger("nadb").handlers.clear()


def test_the_sync_flushes_registered_stores_and_reports_status(tmp_path):
    sync = nadb.KeyValueSync(0.05)
    sync.start()
    store = nadb.KeyValueStore(str(tmp_path), "db", 64, "ns", sync)
    store.set("k", b"v")
    status = sync.status()
    assert status["is_running"] and status["flush_interval"] == 0.05 and status["registered_stores"] == 1
    other = nadb.KeyValueStore(str(tmp_path), "db", 64, "other", None)
    with pytest.raises(ValueError, match="sync="):
        sync.register_store(other)
    sync.sync_exit()
    assert sync.status()["is_running"] is False and sync.status()["rounds"] >= 1
    with pytest.raises(ValueError):
        nadb.KeyValueSync(0)
    store.close()
    other.close()


def test_type_stubs_name_everything_the_core_exports():
    stub = ast.parse(open(os.path.join(os.path.dirname(nadb.__file__), "_core.pyi")).read())
    stubbed = {node.name: node for node in stub.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    stubbed.update({t.id: None for node in stub.body if isinstance(node, ast.AnnAssign) for t in [node.target]})
    public = {name for name in dir(_core) if not name.startswith("__") or name == "__version__"}
    assert public - set(stubbed) == set()
    for name in ("Store", "Transaction", "Sync"):
        methods = {n.name for n in stubbed[name].body if isinstance(n, ast.FunctionDef)}
        dunders = ("__getitem__", "__setitem__", "__delitem__", "__contains__", "__len__")
        dunders += ("__init__",) if name != "Transaction" else ()  # made by Store._begin only
        exported = {m for m in dir(getattr(_core, name)) if not m.startswith("__") or m in dunders}
        assert exported - methods == set(), name
