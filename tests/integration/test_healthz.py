"""/healthz: 200 while the database answers, 503 (not a 500 and a traceback) once it does not,
so a load balancer takes the process out instead of seeing a crash."""

from __future__ import annotations

from pathlib import Path

from gatehouse.settings import Settings
from tests.support.live import LiveServer, start_live_server

KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+asyncpg://gatehouse@127.0.0.1:1/gatehouse",
        secret_keys=KEY,
        run_worker=False,
    )
    server = start_live_server(settings)
    try:
        with server.client(None) as client:
            answer = client.get("/healthz")
    finally:
        server.stop()
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "not answering"}


def test_healthz_is_200_when_the_database_answers(live: LiveServer) -> None:
    with live.client(None) as client:
        answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
