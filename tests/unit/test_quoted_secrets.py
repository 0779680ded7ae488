"""A message's link tokens and e-mail codes are taken out of a server's reply, however it quotes
them; nothing else of the reply is."""

from __future__ import annotations

import json

from gatehouse.mail.quoted_secrets import MessageSecrets

TOKEN = "rASkbuQ0fJ3x-Yq7_Zt9LmN2vW5pHc8dKe1gUiOsTnA"
LINK = f"https://acme.example/reset-password?token={TOKEN}"
CONTEXT = json.dumps(
    {
        "user": {"reset_password_link": LINK, "ids_home_link": "https://acme.example/"},
        "other": {"emailOtpCode": "481516"},
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
    assert secrets.removed_from("code 481516, ref 94815167") == "code [redacted], ref 94815167"


def test_a_reply_without_them_is_left_as_it_is() -> None:
    reply = "250 2.0.0 Ok: queued as 4Fz1"
    assert MessageSecrets.of(CONTEXT).removed_from(reply) == reply
    assert MessageSecrets.of(None).removed_from(f"554 {LINK}") == f"554 {LINK}"
