"""How much compiled template code the sandbox keeps: bounded by the size of the sources, not
only by their number, so a tenant's large templates cannot fill a process's memory."""

from __future__ import annotations

import gc
import threading
import weakref

from gatehouse.mail.templates.compiled import SourceCache
from gatehouse.mail.templates.sandbox import MAX_BODY_CHARS, compile_part


def large_body(number: int) -> str:
    """A distinct body of nearly the largest size a template may have."""
    line = "Plain text, quick to compile, as long as any line of an e-mail may be.\n"
    lines = (MAX_BODY_CHARS - 100) // len(line)
    return f"Body {number} for {{{{ user.firstName }}}}\n" + line * lines


def test_large_sources_are_let_go_once_the_budget_is_spent() -> None:
    """A 100,000-character body stays compiled only until later ones fill the budget of kept
    source characters: a thousand of them kept about 2 GB in every process."""
    first = weakref.ref(compile_part(large_body(0), html=True))
    assert compile_part(large_body(0), html=True) is first()  # kept while there is room
    for number in range(1, 60):  # more than the budget (5,000,000 characters) holds
        compile_part(large_body(number), html=True)
    gc.collect()
    assert first() is None


def test_small_sources_stay_compiled() -> None:
    """The worker's usual templates, a few thousand characters each, are compiled once."""
    source = "Hello {{ user.firstName }}, your code is {{ other.code }}."
    assert compile_part(source, html=False) is compile_part(source, html=False)


def test_threads_making_the_same_entry_count_its_source_once() -> None:
    """The console checks templates in threads while the worker renders on the event loop:
    two making the same entry at once keep one, and its characters are counted once (counted
    twice, the budget would shrink for good with every such race)."""
    cache: SourceCache[str] = SourceCache(max_entries=10, max_chars=1_000)
    both_making = threading.Barrier(2)

    def make() -> str:
        both_making.wait(timeout=10)
        return "compiled"

    threads = [threading.Thread(target=cache.get, args=("source", "html", make)) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert cache.get("source", "html", lambda: "made again") == "compiled"
    assert cache._chars == len("source")
