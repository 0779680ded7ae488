"""A message's link tokens and e-mail codes are taken out of a server's reply, however it quotes
them; nothing else of the reply is."""

from __future__ import annotations

import json

from gatehouse.mail.quoted_secrets import MessageSecrets, without_secrets

TOKEN = "rASkbuQ0fJ3x-Yq7_Zt9LmN2vW5pHc8dKe1gUiOsTnA"
LINK = f"https://acme.example/reset-password?token={TOKEN}"
CONTEXT = json.dumps(
    {
        "user": {"reset_password_link": LINK, "ids_home_link": "https://acme.example/"},
        "other": {"emailOtpCode": "48151623"},
    }
)


def test_the_token_is_taken_out_of_a_quoted_link() -> None:
    secrets = MessageSecrets.of(CONTEXT)
    assert secrets.removed_from(f"554 spam: {LINK}") == (
        "554 spam: https://acme.example/reset-password?token=[redacted]"
    )


def test_a_token_broken_over_quoted_printable_lines_loses_every_long_piece() -> None:
    quoted = f"token=3D{TOKEN[:20]}=\r\n{TOKEN[20:33]}=\r\n{TOKEN[33:]} end"
    assert MessageSecrets.of(CONTEXT).removed_from(quoted) == (
        f"token=3D[redacted]=\r\n[redacted]=\r\n{TOKEN[33:]} end"  # 10 left: nothing to go by
    )


def test_the_code_goes_only_where_it_stands_alone() -> None:
    secrets = MessageSecrets.of(CONTEXT)
    assert secrets.removed_from("code 48151623, ref 9481516230") == (
        "code [redacted], ref 9481516230"
    )


def test_a_code_broken_over_lines_or_after_an_equals_sign_goes_too() -> None:
    """Quoted-printable wraps a long HTML line wherever it reaches 76 characters, inside the
    code too, and writes "=" as "=3D" (a link's ?code=)."""
    secrets = MessageSecrets.of(CONTEXT)
    for quoted in ("<b>4815=\r\n1623</b>", "<b>4=\n8151623</b>", "?code=3D48151623&x"):
        assert "[redacted]" in without_secrets(quoted, CONTEXT), quoted
        assert "1623" not in secrets.removed_from(quoted).replace("[redacted]", ""), quoted


def test_a_reply_without_them_is_left_as_it_is() -> None:
    reply = "250 2.0.0 Ok: queued as 4Fz1"
    assert MessageSecrets.of(CONTEXT).removed_from(reply) == reply
    assert MessageSecrets.of(None).removed_from(f"554 {LINK}") == f"554 {LINK}"
