"""The compiled templates a process keeps, least recently used first out, bounded by the size
of their sources as well as by their number: compiled code takes about 20 bytes per character
of a template full of placeholders, so a thousand bodies of 100,000 characters (a tenant's
previews, say) would keep about 2 GB in every process. Shared by the event loop (the worker
renders) and the threads that check and preview the templates administrators type."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class SourceCache(Generic[T]):
    """``get(source, key, make)``: ``make()``'s result for ``(source, key)``, made once while
    kept. A failure of ``make`` is not kept (it raises each time, as functools.lru_cache).
    ``make`` runs outside the lock: two threads may both make a new entry, and one is kept."""

    def __init__(self, *, max_entries: int, max_chars: int) -> None:
        self.max_entries, self.max_chars = max_entries, max_chars
        self._kept: OrderedDict[tuple[str, object], T] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def has(self, source: str, key: object) -> bool:
        with self._lock:
            return (source, key) in self._kept

    def get(self, source: str, key: object, make: Callable[[], T]) -> T:
        entry = (source, key)
        with self._lock:
            if entry in self._kept:
                self._kept.move_to_end(entry)
                return self._kept[entry]
        value = make()
        if len(source) <= self.max_chars:
            with self._lock:
                if entry not in self._kept:
                    self._chars += len(source)
                self._kept[entry] = value
                self._trim()
        return value

    def _trim(self) -> None:
        while len(self._kept) > self.max_entries or self._chars > self.max_chars:
            (source, _), _ = self._kept.popitem(last=False)
            self._chars -= len(source)
