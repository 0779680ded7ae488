"""The domain error tree. Third-party errors are mapped at the boundary with ``raise ... from``.

    GatehouseError
    ├── ValidationError            bad input; names the field (``field``) and changes nothing
    ├── NotFoundError              unknown tenant, user, token ...
    ├── PermissionDeniedError      authenticated, but lacks the authorization
    ├── ConflictError              the request contradicts current state (inactive user, ...)
    ├── TokenError                 a link token that is unknown, used or expired
    ├── SettingsError              an operator's GATEHOUSE_* setting cannot work; names the variable
    ├── SchemaError                the database lacks this release's migrations (db upgrade)
    ├── UndecryptableSecretError   no key of GATEHOUSE_SECRET_KEYS decrypts a stored secret
    └── DeliveryError              sending an e-mail failed; ``retryable`` is part of the class
        ├── TransientDeliveryError     4xx, timeouts, refused or dropped connections: retry later
        └── PermanentDeliveryError     5xx, refused sender/recipient, auth, certificate: fail now
            └── ConfigurationError     the tenant's mail configuration cannot work as it stands

Messages of these errors are shown to administrators: they never carry secrets or links.
"""

from __future__ import annotations

from collections.abc import Mapping


class GatehouseError(Exception):
    """Root of every error Gatehouse raises on purpose."""


class UndecryptableSecretError(GatehouseError):
    """A stored secret that no current key decrypts: the key it was stored with was removed
    from GATEHOUSE_SECRET_KEYS (or the keys are another platform's)."""


class ValidationError(GatehouseError):
    """Bad input for one field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def labelled(self, labels: Mapping[str, str]) -> str:
        """The message after the field's label on the form (``labels``), or its name."""
        return f"{labels.get(self.field, self.field)}: {self.message}"


class NotFoundError(GatehouseError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class PermissionDeniedError(GatehouseError):
    """The caller lacks the authorization this action needs."""


class ConflictError(GatehouseError):
    """The request contradicts the current state; ``field``, when one field's value does (an
    address or a name another user has). ``message`` as ValidationError's, for pages that show
    either."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def labelled(self, labels: Mapping[str, str]) -> str:
        """As ValidationError's when the conflict is one field's; else the message alone."""
        if self.field is None:
            return self.message
        return f"{labels.get(self.field, self.field)}: {self.message}"


class LimitReachedError(GatehouseError):
    """A limit on how often something may be done is reached for now (429)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenError(GatehouseError):
    """A link token is unknown, already used, or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


CONNECTION_STEPS = frozenset({"dns", "connect", "tls", "starttls", "ehlo"})
# The steps before the first e-mail of a connection: the same for every e-mail sent over it.
SESSION_STEPS = CONNECTION_STEPS | {"auth"}


class SchemaError(GatehouseError):
    """The database's migrations are not those of this release: the operator must run
    ``gatehouse db upgrade`` before the command can start."""


class SettingsError(GatehouseError):
    """A GATEHOUSE_* setting that cannot work as it stands: ``variable`` names it, ``message``
    says why, for the operator at start-up (never for a tenant)."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable
        self.message = message


class DeliveryError(GatehouseError):
    """Sending one e-mail failed at ``step`` (dns, connect, tls, starttls, ehlo, auth, mail, rcpt,
    data, ...). ``message`` is for a person; ``reply_code`` is the server's, when it gave one."""

    retryable: bool = False

    def __init__(
        self, step: str, message: str, *, reply_code: int | None = None, timed_out: bool = False
    ) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.reply_code = reply_code
        self.timed_out = timed_out

    @property
    def fails_the_connection(self) -> bool:
        """The next e-mail over the same connection now would fail the same way: the server
        could not be reached, did not complete the handshake, stopped answering or closed the
        channel; or it refused the session for good (its certificate, the login)."""
        if not self.retryable:
            return self.step in SESSION_STEPS
        return self.timed_out or self.step in CONNECTION_STEPS or self.reply_code == 421


class TransientDeliveryError(DeliveryError):
    """Worth trying again later."""

    retryable = True


class PermanentDeliveryError(DeliveryError):
    """Trying again will not help until something changes."""

    retryable = False


class ConfigurationError(PermanentDeliveryError):
    """The tenant's (or platform's) mail configuration cannot work as it stands."""
