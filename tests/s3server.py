"""A local S3 server for tests: moto's server mode (from PyPI) in its own process, never a real cloud.

`S3Server` starts `python -m moto.server` on a free port of 127.0.0.1 and waits until it answers; each test
makes its own bucket, so tests share one server but never each other's objects.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

KEY, SECRET, REGION = "eea-test-key", "eea-test-secret", "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child, before exec: the kernel stops the server when the test process dies, however it dies."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class S3Server:
    """moto's S3 in a subprocess; `url` is its endpoint."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": REGION}
        self._log = open(log, "wb")  # noqa: SIM115  (closed in stop)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 60
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto's server exited with {self._proc.returncode}; its log is {log}")
            try:
                httpx.get(f"{self.url}/moto-api/", timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto's server did not answer on {self.url} within 60 s; log: {log}") from None
                time.sleep(0.2)

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.url, aws_access_key_id=KEY, aws_secret_access_key=SECRET, region_name=REGION
        )

    def new_bucket(self) -> str:
        name = f"lake-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def requests(self, bucket: str) -> dict[str, int]:
        """How many requests of each method the server has logged for `bucket` so far."""
        counts: dict[str, int] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            parts = line.split('"')
            if len(parts) > 1 and f" /{bucket}" in parts[1]:
                method = parts[1].split(" ", 1)[0]
                counts[method] = counts.get(method, 0) + 1
        return counts

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._log.close()
