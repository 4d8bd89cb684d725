"""A webhook receiver for trying webhooks locally: it listens on loopback, checks each request's Standard
Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`, keyed by the secret's bytes or by the decoded key of a `whsec_` secret), prints the
verified messages and answers 204 (401 for a bad signature, which the sender retries).

    python3 -m local receive --port 9999 --secret my-webhook-secret [--count 1] [--timeout 60]

With `--count`, it exits (status 0) after that many verified messages, or with status 1 when `--timeout`
seconds pass first. Standard library only: it runs with any Python 3.11.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300  # Standard Webhooks' window against replays


def signing_key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode()


def verified(secret: str, headers: Any, body: bytes, now: float | None = None) -> bool:
    message_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    try:
        if abs((now if now is not None else time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
            return False
    except ValueError:
        return False
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(signing_key(secret), signed, hashlib.sha256).digest()).decode()
    offered = [part.split(",", 1)[1] for part in headers.get("webhook-signature", "").split() if "," in part]
    return any(hmac.compare_digest(expected, signature) for signature in offered)


def receive(port: int, secret: str, count: int | None, timeout: float | None) -> int:
    received = 0
    done = threading.Event()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            nonlocal received
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if not verified(secret, self.headers, body):
                print(f"refused a request to {self.path}: its signature does not verify", file=sys.stderr)
                self.send_response(401)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()
            message = json.loads(body)
            with lock:
                received += 1
                print(
                    f"verified webhook {self.headers['webhook-id']} ({message.get('type')}): "
                    + json.dumps(message.get("data"), sort_keys=True),
                    flush=True,
                )
                if count is not None and received >= count:
                    done.set()

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"receiving webhooks on http://127.0.0.1:{server.server_address[1]}/", file=sys.stderr, flush=True)
    try:
        arrived = done.wait(timeout) if count is not None else done.wait()
    except KeyboardInterrupt:
        arrived = True
    finally:
        server.shutdown()
        server.server_close()
    if not arrived:
        print(f"no webhook arrived within {timeout} s", file=sys.stderr)
        return 1
    return 0
