"""Secret box (MultiFernet with rotation), key file creation, and token hashing."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gatehouse.crypto import KEY_FILE_NAME, SecretBox, hash_token, load_secret_box, new_token
from gatehouse.errors import GatehouseError
from gatehouse.settings import Settings


def test_round_trip_and_rotation() -> None:
    """A secret written with an old key still opens after a new key is put first."""
    old, new = Fernet.generate_key(), Fernet.generate_key()
    stored = SecretBox([old]).encrypt("smtp-password")
    assert "smtp-password" not in stored
    assert SecretBox([new, old]).decrypt(stored) == "smtp-password"
    with pytest.raises(GatehouseError, match="cannot be decrypted"):
        SecretBox([new]).decrypt(stored)


def test_key_file_is_created_private(tmp_path: Path) -> None:
    """Without GATEHOUSE_SECRET_KEYS a key file with mode 0600 appears in the data directory."""
    box = load_secret_box(Settings(_env_file=None, data_dir=tmp_path))
    key_file = tmp_path / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = load_secret_box(Settings(_env_file=None, data_dir=tmp_path))
    assert again.decrypt(box.encrypt("x")) == "x"


def test_tokens_are_random_and_hashed() -> None:
    """Tokens carry 32 random bytes; only their SHA-256 is stored."""
    first, second = new_token(), new_token()
    assert first != second and len(first) == 43
    assert hash_token(first) != first and len(hash_token(first)) == 64


def test_a_ciphertext_older_than_its_maximum_age_is_refused() -> None:
    """What the console carries to the page showing a new secret opens for two minutes only."""
    key = Fernet.generate_key()
    old = Fernet(key).encrypt_at_time(b"secret", int(time.time()) - 121).decode()
    fresh = SecretBox([key]).encrypt("secret")
    assert SecretBox([key]).decrypt(fresh, max_age_seconds=120) == "secret"
    assert SecretBox([key]).decrypt(old) == "secret"  # a stored secret has no age limit
    with pytest.raises(GatehouseError, match="cannot be decrypted"):
        SecretBox([key]).decrypt(old, max_age_seconds=120)


def test_macs_are_the_platforms_per_purpose_and_survive_rotation() -> None:
    """A MAC (the forms' CSRF field) matches its value and purpose only, made with the
    platform's key: after a new key is put first, one made before still matches."""
    old, new = Fernet.generate_key(), Fernet.generate_key()
    mac = SecretBox([old]).mac("csrf", "cookie-value")
    assert mac != SecretBox([new]).mac("csrf", "cookie-value")
    assert SecretBox([new, old]).mac_matches("csrf", "cookie-value", mac)
    assert not SecretBox([new]).mac_matches("csrf", "cookie-value", mac)
    assert not SecretBox([old]).mac_matches("csrf", "other-value", mac)
    assert not SecretBox([old]).mac_matches("other-purpose", "cookie-value", mac)
    assert SecretBox([new, old]).mac("csrf", "cookie-value") != mac  # made with the newest
