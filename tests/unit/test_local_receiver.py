"""The walkthrough's webhook receiver accepts exactly what the standardwebhooks library signs."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks import Webhook

from local.receiver import verified


@pytest.mark.parametrize("secret", ["my-webhook-secret", "whsec_" + base64.b64encode(b"k" * 32).decode()])
def test_a_signature_made_by_the_library_verifies_and_a_tampered_one_does_not(secret: str) -> None:
    library_secret = (
        secret if secret.startswith("whsec_") else "whsec_" + base64.b64encode(secret.encode()).decode()
    )
    body = json.dumps({"type": "user_reward", "data": {"xp": 150}})
    now = datetime.now(UTC)
    signature = Webhook(library_secret).sign("msg_1", now, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }

    assert verified(secret, headers, body.encode())
    assert not verified(secret, headers, body.replace("150", "151").encode())
    assert not verified(secret, {**headers, "webhook-id": "msg_2"}, body.encode())
    assert not verified("another-secret", headers, body.encode())
    assert not verified(secret, headers, body.encode(), now=time.time() + 3600)  # too old: a replay
