"""Secrets at rest (MultiFernet, so keys can rotate), random tokens, and token hashing."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from gatehouse.errors import GatehouseError
from gatehouse.settings import Settings

KEY_FILE_NAME = "secret.keys"


class SecretBox:
    """Encrypts secrets for storage. The first key encrypts; every key decrypts (rotation)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise GatehouseError("at least one secret key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise GatehouseError(
                "a stored secret cannot be decrypted with the current keys"
            ) from exc


def load_secret_box(settings: Settings) -> SecretBox:
    """Keys from GATEHOUSE_SECRET_KEYS, else from a key file (mode 0600) in the data directory,
    created on first use."""
    if settings.secret_keys:
        return SecretBox([key.strip().encode() for key in settings.secret_keys.split(",")])
    key_file = settings.data_dir / KEY_FILE_NAME
    if not key_file.exists():
        _create_key_file(key_file)
    keys = [line.strip().encode() for line in key_file.read_text().splitlines() if line.strip()]
    return SecretBox(keys)


def _create_key_file(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(Fernet.generate_key().decode() + "\n")


def new_token() -> str:
    """32 random bytes, URL-safe: for links, sessions and CSRF."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """A token's storage form: SHA-256 is enough for 256-bit random values."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())
