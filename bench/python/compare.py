#!/usr/bin/env python3
"""The standard workload (../shared/bench/WORKLOAD.md) from Python: nadb (fs) beside lmdb,
plyvel (LevelDB), diskcache and sqlite3, each run in its own process, repeated and
interleaved; prints a table of medians with each peer's time as a multiple of nadb's.

  compare.py --workload FILE --data DIR [--repeat 3] [--systems nadb,lmdb,...] [--json]
  compare.py --run SYSTEM --workload FILE --data DIR     (one run; prints RESULT {json})
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import systems  # noqa: E402
import workload as workload_file  # noqa: E402

PHASES = ("a_set", "b_get", "c_query", "d_delete", "e_reopen")
# The original Python NADB's rates on the fs backend (WORKLOAD.md's reference figures).
ORIGINAL = {"a_set": 1 / 2.1e-3, "b_get": 1 / 9.9e-3}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def disk_bytes(folder: str) -> int:
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(folder) for f in files)


def run_one(name: str, w, folder: str) -> dict:
    system = systems.SYSTEMS[name]()
    tags_of_index = {key: pair for key, pair in zip(w.keys, w.tags)}
    system.open(folder)
    phases, checks = {}, {}
    phases["a_set"] = timed(lambda: system.set_all(w))
    get = system.getter()
    keys = [w.keys[i] for i in w.gets]
    found = first_byte_sum = 0

    def gets() -> None:
        nonlocal found, first_byte_sum
        for key in keys:
            value = get(key)
            if value is not None:
                found += 1
                first_byte_sum += value[0]

    phases["b_get"] = timed(gets)
    result_sum = 0

    def queries() -> None:
        nonlocal result_sum
        for a, b in w.queries:
            result_sum += len(system.query(a, b))

    phases["c_query"] = timed(queries)
    deleted = [w.keys[i] for i in w.deletes]
    phases["d_delete"] = timed(lambda: system.delete_all(deleted, tags_of_index.__getitem__))
    system.close()
    count = 0

    def reopen() -> None:
        nonlocal count
        system.open(folder)
        count = system.count()

    phases["e_reopen"] = timed(reopen)
    system.close()
    checks.update(get_found=found, get_first_byte_sum=first_byte_sum, query_result_sum=result_sum,
                  final_count=count)
    for check, value in checks.items():
        if value != w.expected[check]:
            raise SystemExit(f"{name}: {check} is {value}, expected {w.expected[check]}")
    ops = {"a_set": len(w.keys), "b_get": len(keys), "c_query": len(w.queries), "d_delete": len(deleted),
           "e_reopen": 1}
    return {"system": name, "n": len(w.keys),
            "phases": {p: {"ops": ops[p], "secs": phases[p]} for p in PHASES}, "checks": checks,
            "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "disk_bytes": disk_bytes(folder)}


def thread_scaling(w, folder: str) -> dict:
    """The same work per thread from 1 and from 4 threads: durable writes (durability="sync",
    where the GIL is released during the fsync wait and concurrent writers share one fsync),
    and reads (gets, with a tag query every 100)."""
    import threading

    import nadb

    def rate(n: int, work) -> float:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return n / (time.perf_counter() - start)

    durable = nadb.KeyValueStore(folder, "bench", 4, "sync", None, durability="sync")

    def write(thread: int) -> None:
        for i in range(500):
            durable.set(f"t{thread}:{i}", w.values[i], list(w.tags[i]))

    writes = {n: 500 * rate(n, write) for n in (1, 4)}
    durable.close()
    store = nadb.KeyValueStore(folder, "bench", 4, "default", None)
    store.batch_set([(k, v, list(t)) for k, v, t in zip(w.keys, w.values, w.tags)])
    keys = [w.keys[i] for i in w.gets]

    def read(thread: int) -> None:
        get, query = store.get, store.query_by_tags_advanced
        for i, key in enumerate(keys):
            get(key)
            if i % 100 == 0:
                a, b = w.queries[(i // 100) % len(w.queries)]
                query([a, b], "AND", 1, 100000)

    reads = {n: len(keys) * rate(n, read) for n in (1, 4)}
    store.close()
    return {"system": "nadb-threads", "sync_writes_per_sec": writes, "reads_per_sec": reads}


def table(results: dict, repeat: int) -> str:
    med = {s: {p: statistics.median(r["phases"][p]["secs"] for r in runs) for p in PHASES}
           for s, runs in results.items()}
    disk = {s: statistics.median(r["disk_bytes"] for r in runs) for s, runs in results.items()}
    lines = [f"medians of {repeat} interleaved runs, ms (x: the peer's time as a multiple of nadb's)",
             f"{'system':<10}" + "".join(f"{p:>22}" for p in PHASES) + f"{'disk MB':>10}"]
    for s in results:
        cells = []
        for p in PHASES:
            ratio = f"({med[s][p] / med['nadb'][p]:.2f}x)" if s != "nadb" and "nadb" in med else ""
            cells.append(f"{med[s][p] * 1000:.1f} {ratio:>9}")
        lines.append(f"{s:<10}" + "".join(f"{c:>22}" for c in cells) + f"{disk[s] / 1e6:10.1f}")
    if "nadb" in med:
        n = results["nadb"][0]["phases"]
        for p, rate in ORIGINAL.items():
            ours = n[p]["ops"] / med["nadb"][p]
            lines.append(f"nadb {p}: {ours:,.0f} ops/s = {ours / rate:,.0f}x the original Python NADB's {rate:,.0f}/s")
        lines.append(f"nadb e_reopen: {med['nadb']['e_reopen'] * 1000:.1f} ms")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--systems", default=",".join(systems.SYSTEMS))
    parser.add_argument("--run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.run:
        w = workload_file.load(args.workload)
        result = thread_scaling(w, args.data) if args.run == "nadb-threads" else run_one(args.run, w, args.data)
        print("RESULT " + json.dumps(result), flush=True)
        return
    names = args.systems.split(",")
    unknown = [n for n in names if n not in systems.SYSTEMS]
    if unknown:
        raise SystemExit(f"unknown systems: {', '.join(unknown)} (known: {', '.join(systems.SYSTEMS)})")
    results: dict = {n: [] for n in names}
    scaling: dict = {"sync_writes_per_sec": [], "reads_per_sec": []}
    for rep in range(args.repeat):
        for name in names + (["nadb-threads"] if "nadb" in names else []):
            folder = os.path.join(args.data, f"py-{name}")
            shutil.rmtree(folder, ignore_errors=True)
            out = subprocess.run([sys.executable, __file__, "--run", name, "--workload", args.workload,
                                  "--data", folder], capture_output=True, text=True)
            shutil.rmtree(folder, ignore_errors=True)
            if out.returncode != 0:
                raise SystemExit(f"{name} failed:\n{out.stderr}")
            result = json.loads(out.stdout.split("RESULT ", 1)[1])
            if args.json:
                print(json.dumps(result), flush=True)
            if name == "nadb-threads":
                for kind in scaling:
                    scaling[kind].append(result[kind])
                continue
            results[name].append(result)
            print(f"run {rep + 1}/{args.repeat} {name}: " +
                  ", ".join(f"{p} {result['phases'][p]['secs'] * 1000:.1f} ms" for p in PHASES),
                  file=sys.stderr, flush=True)
    if not args.json:
        print(table(results, args.repeat))
        for kind, runs in scaling.items():
            if runs:
                one = statistics.median(r["1"] for r in runs)
                four = statistics.median(r["4"] for r in runs)
                print(f"nadb {kind.replace('_per_sec', '')} from threads: 1 thread {one:,.0f}/s, "
                      f"4 threads {four:,.0f}/s ({four / one:.2f}x)")


if __name__ == "__main__":
    main()
