"""Gatehouse: a multi-tenant identity service whose e-mail every tenant controls."""

__version__ = "0.1.0"
