"""Secrets at rest (MultiFernet, so keys can rotate), random tokens, and token hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from gatehouse.errors import GatehouseError, SettingsError, UndecryptableSecretError
from gatehouse.settings import Settings

KEY_FILE_NAME = "secret.keys"
KEY_ADVICE = (
    "A Fernet key is 32 url-safe base64-encoded bytes; make one with: "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class SecretBox:
    """Encrypts secrets for storage. The first key encrypts; every key decrypts (rotation)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise GatehouseError("at least one secret key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._keys = [base64.urlsafe_b64decode(key) for key in keys]

    def mac(self, purpose: str, value: str) -> str:
        """A MAC of ``value`` for ``purpose`` under the newest key: only the platform can make
        one, and one made for a purpose is worth nothing for another."""
        return _mac(self._keys[0], purpose, value)

    def mac_matches(self, purpose: str, value: str, mac: str) -> bool:
        """Whether ``mac`` is ``value``'s for ``purpose`` under any key (rotation)."""
        return any(tokens_equal(_mac(key, purpose, value), mac) for key in self._keys)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def reencrypt(self, ciphertext: str) -> str:
        """``ciphertext`` under the newest key (key rotation: after this, older keys are no
        longer needed for it). Raises GatehouseError if no current key decrypts it."""
        try:
            return self._fernet.rotate(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise UndecryptableSecretError(
                "a stored secret cannot be decrypted with the current keys"
            ) from exc

    def decrypt(self, ciphertext: str, *, max_age_seconds: int | None = None) -> str:
        """The plaintext; with ``max_age_seconds``, only of a ciphertext made within that time."""
        try:
            return self._fernet.decrypt(ciphertext.encode(), ttl=max_age_seconds).decode()
        except InvalidToken as exc:
            raise UndecryptableSecretError(
                "a stored secret cannot be decrypted with the current keys"
            ) from exc


def _mac(key: bytes, purpose: str, value: str) -> str:
    # A key of its own per purpose, derived from the Fernet key, which encrypts nothing with it.
    derived = hmac.new(key, b"gatehouse mac: " + purpose.encode(), hashlib.sha256).digest()
    digest = hmac.new(derived, value.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_secret_box(settings: Settings) -> SecretBox:
    """Keys from GATEHOUSE_SECRET_KEYS, else from a key file (mode 0600) in the data directory,
    created on first use. A key that is no Fernet key is a SettingsError naming where it is."""
    if settings.secret_keys:
        return _box_of(settings.secret_keys.split(","), source="GATEHOUSE_SECRET_KEYS")
    key_file = settings.data_dir / KEY_FILE_NAME
    if not key_file.exists():
        _create_key_file(key_file)
    return _box_of(key_file.read_text().splitlines(), source=str(key_file))


def _box_of(entries: list[str], *, source: str) -> SecretBox:
    keys = [entry.strip() for entry in entries if entry.strip()]
    if not keys:
        raise SettingsError(source, f"no key. {KEY_ADVICE}")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise SettingsError(
                source, f"key {position} of {len(keys)} is not a Fernet key. {KEY_ADVICE}"
            ) from None
    return SecretBox([key.encode() for key in keys])


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
