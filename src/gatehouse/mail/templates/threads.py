"""The threads that check, compile and render templates off the event loop: a pool of their
own, so that previews and saves of dense templates (most of a second each) never hold up the
default pool, where name lookups of mail servers (netguard) and SES calls wait for a thread."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

THREAD_NAME_PREFIX = "gatehouse-templates"
# Two: with the GIL, more would only share the same core among more waiting requests.
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix=THREAD_NAME_PREFIX)


async def off_loop(function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)`` in a template thread, as ``asyncio.to_thread`` would."""
    call = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_POOL, call)
