"""Many clients from one machine: load generators send each request as from a client of its
own, as the trusted local proxy tells it (``X-Forwarded-For``), the way a service under load
is reached. From one address they would meet the per-client limits (client_limit.py)."""

from __future__ import annotations


def forwarded_for(n: int) -> dict[str, str]:
    """The headers of the n-th request: its client in 198.18.0.0/15, the benchmarking range."""
    return {"x-forwarded-for": f"198.18.{n // 250 % 256}.{n % 250 + 1}"}
