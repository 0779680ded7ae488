"""Record IDs: random version 4 UUIDs in hex, as before they were made by hand."""

from __future__ import annotations

import uuid

from gatehouse.db.base import new_id


def test_an_id_is_a_version_4_uuid_in_hex() -> None:
    ids = [new_id() for _ in range(2000)]
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert parsed.hex == value  # 32 lowercase hex digits, no dashes
    assert len(set(ids)) == len(ids)
