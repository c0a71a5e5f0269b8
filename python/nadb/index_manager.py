"""Tag queries: operators, conditions, results, index statistics (the original's
``nadb.index_manager`` names). The index itself lives in the C++ core: tag bitmaps kept in
step with every write, and a query cache that is never staler than the data."""

from __future__ import annotations

import weakref

import dataclasses
import enum
import threading
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _convert


class QueryOperator(enum.Enum):
    AND = "and"
    OR = "or"
    NOT = "not"
    IN = "in"
    RANGE = "range"


@dataclasses.dataclass
class QueryCondition:
    """One condition of ``complex_query`` (conditions are ANDed).

    field ``"tags"``: operator and / or / in (any of) / not (none of) over ``values``
    (or ``value``). field ``"key"``: operator ``"prefix"``, ``"eq"`` or ``"in"``. fields
    ``"size"``, ``"created_at"``, ``"updated_at"``, ``"expires_at"``: operator range
    (``min_value`` and/or ``max_value``, inclusive) or ``"eq"`` (``value``); times are
    datetimes, ISO strings or seconds since the epoch."""

    field: str
    operator: Union[QueryOperator, str]
    value: Any = None
    values: Optional[List[Any]] = None
    min_value: Any = None
    max_value: Any = None


@dataclasses.dataclass(frozen=True)
class QueryResult:
    """One page of a query's keys, sorted; never changed after it is returned."""

    keys: List[str]
    total_count: int
    page: int
    page_size: int
    has_more: bool
    execution_time_ms: float
    cache_hit: bool = False

    @classmethod
    def _from_core(cls, result: tuple) -> "QueryResult":
        return cls(*result)


@dataclasses.dataclass
class IndexStats:
    index_name: str
    unique_values: int
    total_entries: int
    memory_usage_bytes: int
    hit_count: int
    miss_count: int
    last_updated: str
    avg_query_time_ms: float


_TIME_FIELDS = ("created_at", "updated_at", "expires_at")


def _operator_name(operator: Union[QueryOperator, str]) -> str:
    if isinstance(operator, QueryOperator):
        return operator.value
    if not isinstance(operator, str):
        raise TypeError(f"operator must be a QueryOperator or a string, not {type(operator).__name__}")
    return operator.lower()


def _bound(field: str, value: Any) -> Optional[int]:
    if value is None:
        return None
    if field in _TIME_FIELDS:
        return _convert.to_epoch_ms(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{field} bounds must be integers, not {type(value).__name__}")
    return value


def _tag_values(condition: Dict[str, Any]) -> List[str]:
    values = condition.get("values")
    if values is None:
        values = condition.get("value")
    if isinstance(values, str):  # one tag, not its characters
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError("a tags condition needs a non-empty list of tags in 'values' or 'value'")
    return list(values)


def core_condition(condition: Union[QueryCondition, Dict[str, Any]]) -> Dict[str, Any]:
    """The core's form {field, op, values, min, max} of an original-style condition."""
    if isinstance(condition, QueryCondition):
        condition = dataclasses.asdict(condition)
    if not isinstance(condition, dict):
        raise TypeError("each condition must be a dict or a QueryCondition")
    if "field" not in condition:
        raise ValueError("a condition needs a 'field'")
    field = condition["field"]
    operator = _operator_name(condition.get("operator", condition.get("op", "")))
    if field == "tags":
        if operator not in ("and", "or", "in", "not"):
            raise ValueError(f"operator '{operator}' does not apply to tags (and, or, in, not)")
        return {"field": "tags", "op": "or" if operator == "in" else operator,
                "values": _tag_values(condition)}
    if field == "key":
        values = condition.get("values") or [condition.get("value")]
        if operator not in ("prefix", "eq", "in") or any(not isinstance(v, str) for v in values):
            raise ValueError("a key condition is prefix, eq or in over strings")
        return {"field": "key", "op": operator, "values": list(values)}
    if operator == "eq":
        value = _bound(field, condition.get("value", condition.get("min_value")))
        return {"field": field, "op": "eq", "min": value, "max": value}
    if operator != "range":
        raise ValueError(f"operator '{operator}' does not apply to field '{field}' (range, eq)")
    return {"field": field, "op": "range",
            "min": _bound(field, condition.get("min_value", condition.get("min"))),
            "max": _bound(field, condition.get("max_value", condition.get("max")))}


class QueryStats:
    """Per-kind query counters (tags_and, tags_or, tags_not, complex, expression); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: Dict[str, Dict[str, float]] = {}

    def record(self, kind: str, result: QueryResult) -> None:
        with self._lock:
            entry = self._stats.setdefault(
                kind, {"count": 0, "total_time_ms": 0.0, "avg_time_ms": 0.0, "cache_hits": 0})
            entry["count"] += 1
            entry["total_time_ms"] += result.execution_time_ms
            entry["avg_time_ms"] = entry["total_time_ms"] / entry["count"]
            entry["cache_hits"] += int(result.cache_hit)

    def snapshot(self) -> Dict[str, Dict[str, float]]:
        with self._lock:
            return {kind: dict(entry) for kind, entry in self._stats.items()}

    def clear(self) -> None:
        with self._lock:
            self._stats.clear()


class IndexManager:
    """The original's ``store.index_manager``: the store's query methods and index statistics."""

    def __init__(self, kv_store, cache_size: int = 10000) -> None:
        self._store = weakref.proxy(kv_store)  # the store owns its managers, not the reverse
        self.cache_size = cache_size

    def query_by_tags(self, tags: Sequence[str], operator: Union[QueryOperator, str] = QueryOperator.AND,
                      page: int = 1, page_size: int = 100) -> QueryResult:
        return self._store.query_by_tags_advanced(tags, operator, page, page_size)

    def complex_query(self, conditions, page: int = 1, page_size: int = 100) -> QueryResult:
        return self._store.complex_query(conditions, page, page_size)

    def get_index_stats(self) -> Dict[str, IndexStats]:
        return self._store.get_stats()["index_stats"]

    def get_cache_stats(self) -> Dict[str, Dict[str, Any]]:
        return self._store.get_stats()["cache_stats"]

    def get_query_stats(self) -> Dict[str, Dict[str, float]]:
        return self._store.get_stats()["query_stats"]

    def optimize_indexes(self) -> None:
        self._store.optimize_indexes()

    def rebuild_indexes(self) -> None:
        self._store.rebuild_indexes()

    def clear_caches(self) -> None:
        self._store.clear_caches()


def index_stats(core_index: Dict[str, Any], total_entries: int, avg_query_time_ms: float) -> IndexStats:
    return IndexStats(
        index_name="tag_index",
        unique_values=int(core_index.get("tags", 0)),
        total_entries=total_entries,
        memory_usage_bytes=int(core_index.get("memory_bytes", 0)),
        hit_count=int(core_index.get("cache_hits", 0)),
        miss_count=int(core_index.get("cache_misses", 0)),
        last_updated=datetime.now().isoformat(),
        avg_query_time_ms=avg_query_time_ms,
    )
