"""Export and erase through the local stack over real HTTP: the DELETE answers 202 at once, the erasure
queue's function finishes the work, the status route says so, and a scan of the whole table finds nothing
of the person afterwards."""

from __future__ import annotations

import time
import uuid

from tests.integration.conftest import Api
from tests.integration.isolation import tenant_items
from tests.integration.test_identities_and_ingestion import heymint, parcelvoy


def test_a_person_is_exported_then_erased_and_the_table_forgets_them(api: Api) -> None:
    marker = uuid.uuid4().hex[:10]
    user_id, email, trait = f"erase-me-{marker}", f"erase-{marker}@example.com", f"trait-{marker}"
    identity_id = heymint(api, "POST", "/v1/identities", json={"uniqueIdentifier": user_id}).json()["id"]
    identify = {"external_id": user_id, "email": email, "data": {"hobby": trait}}
    assert parcelvoy(api, "/api/client/identify", identify).status_code == 204
    device = {"external_id": user_id, "device_id": f"d-{marker}", "token": f"push-{marker}", "os": "iOS",
              "model": "x", "app_build": "1", "app_version": "1"}  # fmt: skip
    assert parcelvoy(api, "/api/client/devices", device).status_code == 204

    public = heymint(api, "DELETE", f"/v1/identities/{identity_id}", key=api.state["public_key"])
    exported = heymint(api, "GET", f"/api/v1/identities/{identity_id}/export")
    assert public.status_code in (401, 403)
    assert exported.status_code == 200 and exported.json()["profile"]["email"] == email
    assert exported.json()["devices"][0]["device_id"] == f"d-{marker}"

    erase = heymint(api, "DELETE", f"/v1/identities/{identity_id}")
    assert erase.status_code == 202 and erase.json()["status"] in ("erasing", "erased"), erase.text
    deadline = time.monotonic() + 60
    while True:
        status = heymint(api, "GET", f"/v1/identities/{identity_id}/erasure").json()
        if status["status"] == "erased" or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert status["status"] == "erased" and status["erasedAt"]
    assert heymint(api, "GET", f"/v1/identities/{identity_id}/export").status_code == 404
    assert tenant_items(api.stack, user_id, email, trait, f"push-{marker}") == []
    assert heymint(api, "DELETE", f"/v1/identities/{identity_id}").status_code == 200  # idempotent
    fresh = heymint(api, "POST", "/v1/identities", json={"uniqueIdentifier": user_id}).json()["id"]
    assert fresh != identity_id
