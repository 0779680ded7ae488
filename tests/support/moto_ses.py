"""A local moto server standing in for Amazon SES (sesv2), on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import boto3
import httpx

from tests.support.live import free_port

REGION = "eu-west-1"
PLATFORM_DOMAIN = "mail.gatehouse.test"


def use_fake_aws_credentials() -> None:
    """boto3 needs credentials; moto accepts any. Never real ones in tests."""
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)


@dataclass
class MotoSes:
    url: str
    process: subprocess.Popen[bytes]

    def client(self) -> Any:
        return boto3.client("sesv2", region_name=REGION, endpoint_url=self.url)

    def sent(self) -> list[dict[str, Any]]:
        """Raw messages SES accepted: id, source, destinations, raw_data."""
        data = httpx.get(f"{self.url}/moto-api/data.json").json()
        return list(data.get("ses", {}).get("RawMessage", []))

    def reset(self) -> None:
        httpx.post(f"{self.url}/moto-api/reset")
        self.client().create_email_identity(EmailIdentity=PLATFORM_DOMAIN)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_moto() -> MotoSes:
    use_fake_aws_credentials()
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/moto-api/data.json", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the moto server did not start") from None
            time.sleep(0.1)
    moto = MotoSes(url, process)
    moto.reset()
    return moto
