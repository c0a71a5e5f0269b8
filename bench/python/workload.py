"""The standard workload file (../shared/bench/WORKLOAD.md), read for the Python comparison."""

from __future__ import annotations

import dataclasses
import json
import struct
from typing import List, Tuple

MAGIC = b"NADBWL1\0"


@dataclasses.dataclass
class Workload:
    keys: List[str]
    values: List[bytes]
    tags: List[Tuple[str, str]]
    gets: List[int]
    queries: List[Tuple[str, str]]
    deletes: List[int]
    expected: dict


def tag_name(t: int) -> str:
    return "tag_%02d" % t


def load(path: str) -> Workload:
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise SystemExit(f"{path}: not a workload file")
    n, value_size, _ntags, g, q, d = struct.unpack_from("<6I", data, 8)
    offset = 8 + 24 + 8
    keys, values, tags = [], [], []
    for i in range(n):
        a, b = data[offset], data[offset + 1]
        values.append(data[offset + 2:offset + 2 + value_size])
        tags.append((tag_name(a), tag_name(b)))
        keys.append("user:%08d" % i)
        offset += 2 + value_size
    gets = list(struct.unpack_from(f"<{g}I", data, offset))
    offset += 4 * g
    queries = [(tag_name(data[offset + 2 * i]), tag_name(data[offset + 2 * i + 1])) for i in range(q)]
    offset += 2 * q
    deletes = list(struct.unpack_from(f"<{d}I", data, offset))
    with open(path + ".expected.json") as f:
        expected = json.load(f)
    return Workload(keys, values, tags, gets, queries, deletes, expected)
