"""Threads: eight threads mixing sets, gets, queries and transactions keep every write; the
GIL is released while the core waits, so other Python threads run meanwhile. (How much more
work 4 threads do than 1 is measured by make compare-python, not asserted here: a timed
assertion would fail on a loaded machine.)"""

from __future__ import annotations

import threading
import time

import pytest

import nadb


def test_eight_threads_of_mixed_operations_keep_every_write(store):
    errors = []
    barrier = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(300):
                key = f"t{n}:{i}"
                store.set(key, f"{n}-{i}".encode(), [f"thread{n}", "all"])
                assert store.get(key) == f"{n}-{i}".encode()
                if i % 10 == 0:
                    assert store.query_by_tags_advanced([f"thread{n}"], page_size=1000).total_count == i + 1
                if i % 25 == 0:
                    with store.transaction() as tx:
                        tx.set(f"tx{n}:{i}", b"t", [f"thread{n}-tx"])
                        tx.delete(key)
                    store.set(key, f"{n}-{i}".encode(), [f"thread{n}", "all"])
        except Exception as e:  # reported after the join
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.query_by_tags_advanced(["all"], page_size=10000).total_count == 2400
    for n in range(8):
        assert store.query_by_tags_advanced([f"thread{n}-tx"]).total_count == 12
        assert store.get(f"t{n}:299") == f"{n}-299".encode()
    assert len(store) == 2400 + 96


def test_other_threads_run_while_a_call_waits_in_the_core(redis_server, tmp_path):
    store = nadb.KeyValueStore(str(tmp_path), "db", 1, "gil", None, storage_backend="redis",
                               redis_url=redis_server.url, storage_options={"socket_timeout": 20})
    store.set("k", b"v")
    inside = threading.Event()
    finished = threading.Event()
    result = []

    def blocked_get() -> None:
        inside.set()
        result.append(store.get("k"))
        finished.set()

    redis_server.pause()  # the get below waits for the server, inside the core
    try:
        waiter = threading.Thread(target=blocked_get)
        waiter.start()
        inside.wait()
        ran = 0
        for _ in range(200):  # Python work in this thread; impossible if the waiter held the GIL
            time.sleep(0.001)
            ran += 1
        assert ran == 200 and not finished.is_set()
    finally:
        redis_server.resume()
    waiter.join(30)
    assert finished.is_set() and result == [b"v"]
    store.flushdb()
    store.close()


@pytest.mark.parametrize("operation", ["flush", "compact_storage", "create_backup", "get_stats"])
def test_long_operations_run_beside_writers_in_other_threads(store, operation):
    for i in range(2000):
        store.set(f"k{i}", b"v" * 200, ["t"])
    stop = threading.Event()
    errors = []

    def writer() -> None:
        i = 0
        try:
            while not stop.is_set():
                store.set(f"w{i}", b"w", ["w"])
                i += 1
        except Exception as e:
            errors.append(e)

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(3):
            getattr(store, operation)()
    finally:
        stop.set()
        t.join()
    assert errors == [] and store.get("k1999") == b"v" * 200


@pytest.mark.parametrize("durability", ["buffered", "sync"])
def test_exit_with_daemon_threads_inside_the_core_is_clean_and_keeps_writes(tmp_path, durability):
    """The interpreter ends daemon threads that retake the GIL while it finalizes; that must
    not abort the process (it did: the GIL was retaken in a noexcept destructor)."""
    import os
    import subprocess
    import sys

    child = (
        "import os, sys, threading, time, nadb\n"
        "kv = nadb.KeyValueStore(sys.argv[1], 'app', 1, 'ns', None, durability=sys.argv[2])\n"
        "for i in range(500): kv.set(f'k{i}', b'v' * 100, ['t'])\n"
        "kv.set('marker', b'before-exit')\n"
        "def loop(kind):\n"
        "    while True:\n"
        "        if kind == 0: kv.query_by_tags_advanced(['t'], 'OR', 1, 100)\n"
        "        elif kind == 1: kv.set('big', os.urandom(100000))\n"
        "        else: kv.flush()\n"
        "for kind in range(3): threading.Thread(target=loop, args=(kind,), daemon=True).start()\n"
        "time.sleep(0.3)\n")
    root = os.path.dirname(os.path.dirname(os.path.abspath(nadb.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    for run in range(3):
        folder = str(tmp_path / f"run{run}")
        out = subprocess.run([sys.executable, "-c", child, folder, durability], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-500:]
        with nadb.KeyValueStore(folder, "app", 1, "ns", None) as kv:
            assert kv.get("marker") == b"before-exit" and kv.query_by_tags_advanced(["t"]).total_count == 500
