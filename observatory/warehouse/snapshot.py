"""One warehouse version: its version, the reference data every view reads, and the one memo.

A build writes a new DuckDB file and renames it into place. ``current(warehouse)`` compares the
file's version (inode and modification time) with the snapshot it holds and, when the file
changed, opens a new ``Snapshot`` and swaps it in with one assignment: requests already holding
the old one finish on it, the next ones read the new one, and what the old one remembered goes
with it. Nothing above this module checks the warehouse's version again: a request takes a
snapshot once (``explore.pin``) and every view, query and table of that request reads it.

A snapshot remembers three kinds of things, all through ``Memo``:

- ``kept``: reference data, bounded by what the warehouse holds (catalogue, territories, groups,
  each year's denominators, breakdown values, period and picker options), never evicted;
- ``memo``: query results and view tables, the last ``Settings.memo_entries`` asked;
- ``totals``: each indicator's totals held as arrays (``observatory.warehouse.totals``), the last
  ``Settings.memo_totals`` asked (several MB each at national scale).

Remembered values are shared between requests: callers must not change them (``query`` hands
out copies of DataFrames, which pandas shares until written).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from observatory.contract.settings import Settings
from observatory.warehouse.db import Warehouse, WarehouseUnavailable

T = TypeVar("T")


class Memo:
    """A thread-safe least-recently-used map of at most ``size`` entries (None: no limit).

    ``get(key, compute)`` returns the remembered value or computes it; a key asked by several
    threads at once is computed once, the others wait for it. ``size=0`` remembers nothing.
    """

    def __init__(self, size: int | None):
        self.size = size
        self.hits = self.misses = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Event] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.size == 0:
            return compute()
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    self.hits += 1
                    return self._items[key]
                waiting = self._pending.get(key)
                if waiting is None:
                    self._pending[key] = threading.Event()
                    self.misses += 1
                    break
            waiting.wait()  # another thread computed it (or failed: then try here)
        try:
            value = compute()
            with self._lock:
                self._items[key] = value
                while self.size is not None and len(self._items) > self.size:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                event = self._pending.pop(key, None)
            if event is not None:
                event.set()

    def clear(self) -> None:
        """Forget every entry (benchmarks measuring what nobody asked for yet)."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items


@dataclass(frozen=True)
class Sizes:
    """How much a snapshot remembers (``Settings.memo_entries``, ``Settings.memo_totals``)."""

    entries: int
    totals: int

    @classmethod
    def of(cls, settings: Settings) -> Sizes:
        return cls(entries=max(0, int(settings.memo_entries)), totals=max(0, int(settings.memo_totals)))


def version_of(warehouse: Warehouse) -> tuple[int, int]:
    """The warehouse file's version: changes when a build renames a new file into place."""
    try:
        st = os.stat(warehouse.path)
    except FileNotFoundError:
        raise WarehouseUnavailable(f"no warehouse at {warehouse.path}: run `make build`") from None
    return st.st_ino, st.st_mtime_ns


class Snapshot:
    """One version of the warehouse, read through the same door (``run``, ``arrays``) as the
    ``Warehouse`` it wraps, with query results remembered for as long as the version lives."""

    def __init__(self, warehouse: Warehouse, version: tuple[int, int], sizes: Sizes):
        self.warehouse = warehouse
        self.version = version
        self.sizes = sizes
        self.kept = Memo(None)
        self.memo = Memo(sizes.entries)
        self.totals = Memo(sizes.totals)

    @property
    def path(self):
        return self.warehouse.path

    def run(self, name: str, **params) -> pd.DataFrame:
        """``Warehouse.run`` remembered per query and parameters; a copy the caller may change."""
        key = ("query", name, tuple(sorted((k, _frozen(v)) for k, v in params.items())))
        return self.memo.get(key, lambda: self.warehouse.run(name, **params)).copy()

    def arrays(self, name: str, **params) -> dict[str, np.ndarray]:
        """``Warehouse.arrays``, not remembered (what it reads is kept by the caller, e.g. totals)."""
        return self.warehouse.arrays(name, **params)

    def available(self) -> bool:
        return self.warehouse.available()

    def health(self) -> dict:
        return self.warehouse.health()

    def __repr__(self) -> str:
        return f"Snapshot({self.warehouse.path}, version={self.version})"


def _frozen(value):
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(sorted(value)) if isinstance(value, set | frozenset) else tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


_lock = threading.Lock()
_current: weakref.WeakKeyDictionary[Warehouse, Snapshot] = weakref.WeakKeyDictionary()
_sizes: weakref.WeakKeyDictionary[Warehouse, Sizes] = weakref.WeakKeyDictionary()


def configure(warehouse: Warehouse, settings: Settings) -> None:
    """Use ``settings``' memo sizes for ``warehouse``'s snapshots (from its next version on)."""
    _sizes[warehouse] = Sizes.of(settings)


def current(warehouse: Warehouse | Snapshot) -> Snapshot:
    """The snapshot of the warehouse's file as it is now (a snapshot is returned as it is).

    Raises ``WarehouseUnavailable`` when the file is missing.
    """
    if isinstance(warehouse, Snapshot):
        return warehouse
    version = version_of(warehouse)
    snap = _current.get(warehouse)
    if snap is not None and snap.version == version:
        return snap
    with _lock:
        snap = _current.get(warehouse)
        if snap is None or snap.version != version:
            sizes = _sizes.get(warehouse) or Sizes.of(Settings.from_env({}))
            snap = Snapshot(warehouse, version, sizes)
            _current[warehouse] = snap  # the swap: one assignment
        return snap


def forget(warehouse: Warehouse | None = None) -> None:
    """Drop the snapshot held for ``warehouse`` (every one when None): the next ``current`` opens
    a fresh one (benchmarks measuring a view nobody asked for yet; tests)."""
    with _lock:
        if warehouse is None:
            _current.clear()
        else:
            _current.pop(warehouse, None)
