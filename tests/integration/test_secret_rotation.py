"""Key rotation to its end: ``gatehouse secrets reencrypt`` moves every stored secret to the
newest key of GATEHOUSE_SECRET_KEYS, after which the older keys can be removed. Before, an old
key could never be retired: the tenants' passwords stayed under it, and without it their
e-mails failed as "Internal error (GatehouseError)"."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from gatehouse.accounts.authorizations import Authorization
from gatehouse.cli import app
from gatehouse.crypto import SecretBox
from gatehouse.mail.models import MailServerConfig
from gatehouse.runtime import build_runtime
from gatehouse.settings import Settings
from tests.support.accounts import api_client
from tests.support.cli import point_cli_at
from tests.support.live import LiveServer

runner = CliRunner()
NEW_KEY = Fernet.generate_key().decode()


@pytest.fixture
def old_key(demo: LiveServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI on the test database; the demo tenant has a custom server whose password was
    stored under the test's key, the old one."""
    settings = demo.settings
    point_cli_at(monkeypatch, settings, with_secret_keys=False)
    asyncio.run(_store_password(settings, "tenant-smtp-pw"))
    return settings.secret_keys


async def _store_password(settings: Settings, password: str) -> None:
    runtime = build_runtime(settings)
    try:
        async with runtime.sessions.begin() as session:
            session.add(
                MailServerConfig(
                    tenant_id="demo",
                    mode="custom",
                    host="smtp.demo.test",
                    port=465,
                    security="ssl",
                    authentication="password",
                    username="demo",
                    password_encrypted=runtime.secret_box.encrypt(password),
                    sender_email="it@demo.test",
                    updated_by="test",
                )
            )
    finally:
        await runtime.close()


async def _stored(settings: Settings) -> tuple[str, int]:
    runtime = build_runtime(settings)
    try:
        async with runtime.sessions() as session:
            config = await session.scalar(select(MailServerConfig))
            assert config is not None and config.password_encrypted is not None
            return config.password_encrypted, config.version
    finally:
        await runtime.close()


def test_reencrypt_lets_the_old_key_go(
    demo: LiveServer, old_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", f"{NEW_KEY},{old_key}")
    result = runner.invoke(app, ["secrets", "reencrypt"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 stored secret(s) now use the newest key.\n"
    stored, version = asyncio.run(_stored(demo.settings))
    assert SecretBox([NEW_KEY.encode()]).decrypt(stored) == "tenant-smtp-pw"  # old key gone
    assert version == 1  # the configuration itself did not change


def test_a_secret_no_current_key_decrypts_is_named_and_kept(
    demo: LiveServer, old_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _ = asyncio.run(_stored(demo.settings))
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", NEW_KEY)  # the old key dropped too early
    result = runner.invoke(app, ["secrets", "reencrypt"])
    assert result.exit_code == 1
    assert " ".join(result.output.split()) == (
        "0 stored secret(s) now use the newest key. Error: No key of GATEHOUSE_SECRET_KEYS "
        "decrypts the stored secret of tenant(s) demo: keep the key they were stored with, or "
        "have their administrators enter the password again."
    )
    assert asyncio.run(_stored(demo.settings))[0] == before


UNDECRYPTABLE_DIAGNOSIS = (
    "The stored password of your mail server can no longer be decrypted: save the "
    "configuration again with its password. Your e-mails wait and are tried again."
)


def test_mail_of_a_tenant_whose_password_no_key_decrypts_waits_with_a_diagnosis(
    demo: LiveServer,
    old_key: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The old key removed too early: the e-mail waits with a diagnosis the administrator can
    act on and one log line naming the tenant; it was "Internal error (GatehouseError)." and
    a traceback."""
    monkeypatch.setenv("GATEHOUSE_SECRET_KEYS", NEW_KEY)
    result = runner.invoke(app, ["mail", "send-test", "--tenant", "demo", "--to", "x@demo.test"])
    assert result.exit_code == 1
    assert result.output.splitlines()[1] == f"queued: config: {UNDECRYPTABLE_DIAGNOSIS}"
    errors = [r for r in caplog.records if r.name == "gatehouse.mail.dispatcher"]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in errors] == [
        (
            "ERROR",
            "tenant demo: no key of GATEHOUSE_SECRET_KEYS decrypts its mail server password, "
            "its e-mails wait: put back the key it was stored with, or have its administrators "
            "enter it again",
            None,
        )
    ]


def test_keeping_a_password_no_key_decrypts_asks_for_it_again(demo: LiveServer) -> None:
    """PUT mail-server without a password keeps the stored one; when no key decrypts it, the
    answer is 422 naming the password and nothing changes (it was a 500)."""
    asyncio.run(_store_password(demo.settings.model_copy(update={"secret_keys": NEW_KEY}), "pw"))
    before = asyncio.run(_stored(demo.settings))
    client_id, secret = api_client(demo, Authorization.MANAGE_TENANT_CONFIGURATION)
    with demo.client(auth=(client_id, secret)) as client:
        answer = client.put(
            "/admin/api/v1/mail-server",
            json={
                "host": "smtp.demo.test",
                "port": 465,
                "security": "ssl",
                "username": "demo",
                "sender_email": "it@demo.test",
            },
        )
    assert (answer.status_code, answer.json()) == (
        422,
        {
            "detail": {
                "field": "password",
                "message": "Enter the password again: the stored one can no longer be decrypted.",
            }
        },
    )
    assert asyncio.run(_stored(demo.settings)) == before
