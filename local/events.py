"""Sample events (`events/*.json`) with placeholders such as `${SECRET_KEY}` and `${ENTITY_ID}`, filled in
from a running stack, so one file serves the tests, `python -m local invoke` and reading.

The seeded values come from the stack's state. The others name something that has to exist first, and
`Placeholders` makes it through the stack's own API, as a client would, when an event asks for it:

    ${IDENTITY_ID}    a new HeyMint identity
    ${EVENT_ID}       a new HeyMint event definition
    ${CLAIM_TOKEN}    the claim token of a new identity's association URL
    ${KEY_ID}         a new secret key of the demo entity (the rotate and revoke events spend it)
    ${ADMIN_USER_ID}  a new platform user, made an ADMIN of the demo entity (invited, and the invitation
                      accepted; the remove event spends it), or, for the invitation events, a new user
    ${ADMIN_USER_TOKEN} that user's token
    ${INVITATION_ID}  a pending invitation of that new user to the demo entity (accept/decline/withdraw it)
    ${NOTIFICATION_ID} an in-app notification id no one holds (the demo campaign makes no notifications:
                      marking it read answers 404; pass a real one with `--set NOTIFICATION_ID=…`)
    ${REF_ID}         the referral id of a claimr user of the demo campaign (`invoke-referrer`)
    ${OAUTH_CODE}     an authorization code for a connect route's OAuth provider (a provider gives
                      real ones: pass one with `--set OAUTH_CODE=…`)

Events whose route would spend the seeded credentials themselves (deleting the entity, rotating the
user's token) get a new entity or user of their own, so the running stack keeps working.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from local.template import ROOT

EVENTS = ROOT / "events"
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")

SEEDED = {
    "entity_id": "ENTITY_ID",
    "secret_key": "SECRET_KEY",
    "public_key": "PUBLIC_KEY",
    "operator_key": "OPERATOR_KEY",
    "user_id": "USER_ID",
    "user_token": "USER_TOKEN",
    "campaign_id": "CAMPAIGN_ID",
}
# Routes that use up what they name: their events act on something made for them.
SPENDS = {
    "DELETE /api/entities/{entityId}": "entity",
    "POST /api/users/{userId}/token": "user",
}

# (method, path, headers, body) -> the answer's JSON
Call = Callable[[str, str, dict[str, str], Any], dict[str, Any]]


def placeholders_from_state(state: Mapping[str, Any]) -> dict[str, str]:
    return {placeholder: str(state[key]) for key, placeholder in SEEDED.items() if key in state}


def event_path(name_or_path: str | Path) -> Path:
    path = Path(name_or_path)
    if path.exists():
        return path
    name = str(name_or_path)
    return EVENTS / (name if name.endswith(".json") else f"{name}.json")


def placeholders_in(name_or_path: str | Path) -> set[str]:
    return set(_PLACEHOLDER.findall(event_path(name_or_path).read_text(encoding="utf-8")))


def load_event(name_or_path: str | Path, values: Mapping[str, str] | None = None) -> Any:
    text = event_path(name_or_path).read_text(encoding="utf-8")
    if values:
        text = _PLACEHOLDER.sub(lambda m: json.dumps(values.get(m.group(1), m.group(0)))[1:-1], text)
    return json.loads(text)


class Placeholders:
    """Values for every placeholder of an event, made through the stack's API where they must exist."""

    def __init__(self, state: Mapping[str, Any], call: Call, log: Callable[[str], None] = print) -> None:
        self.state = state
        self.call = call
        self.log = log

    def for_event(self, name_or_path: str | Path, given: Mapping[str, str] | None = None) -> dict[str, str]:
        """`given` values win (`invoke --set OAUTH_CODE=…`); the others are the stack's or made here."""
        wanted = placeholders_in(name_or_path)
        values = placeholders_from_state(self.state)
        route_key = load_event(name_or_path).get("routeKey")
        spent = SPENDS.get(str(route_key))
        if spent == "entity":
            values["ENTITY_ID"] = self._new_entity()
        elif spent == "user":
            values["USER_ID"], values["USER_TOKEN"] = self._new_user()
        invitee: dict[str, str] = {}

        def invited(name: str) -> Callable[[], str]:
            def make() -> str:
                if not invitee:
                    invitee.update(self._new_invitation())
                return invitee[name]

            return make

        invitation_event = bool({"INVITATION_ID", "ADMIN_USER_TOKEN"} & wanted)  # the invitee acts
        makers = {
            "IDENTITY_ID": self._new_identity,
            "EVENT_ID": self._new_event,
            "CLAIM_TOKEN": self._new_claim_token,
            "KEY_ID": self._new_key,
            "ADMIN_USER_ID": invited("ADMIN_USER_ID") if invitation_event else self._new_admin,
            "ADMIN_USER_TOKEN": invited("ADMIN_USER_TOKEN"),
            "INVITATION_ID": invited("INVITATION_ID"),
            "NOTIFICATION_ID": lambda: "1",
            "REF_ID": self._referral_id,
            "OAUTH_CODE": lambda: "local-authorization-code",
        }
        values.update(given or {})
        for name in sorted(wanted - set(values)):
            if name not in makers:
                raise LookupError(f"no value for ${{{name}}} in {name_or_path}")
            values[name] = makers[name]()
            self.log(f"${{{name}}} = {values[name]}")
        return values

    # credentials

    def _secret(self) -> dict[str, str]:
        return {"x-api-key": str(self.state["secret_key"])}

    def _owner(self) -> dict[str, str]:
        return {"userid": str(self.state["user_id"]), "token": str(self.state["user_token"])}

    def _operator(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.state['operator_key']}"}

    # what the placeholders name

    def _new_identity(self) -> str:
        return str(self.call("POST", "/v1/identities", self._secret(), {})["id"])

    def _new_event(self) -> str:
        slug = f"sample-{secrets.token_hex(4)}"
        made = self.call("POST", "/v1/events", self._secret(), {"name": "Sample event", "slug": slug})
        return str(made["id"])

    def _new_claim_token(self) -> str:
        identity = self._new_identity()
        url = self.call("POST", f"/v1/identities/{identity}/association", self._secret(), None)["url"]
        return str(url).rsplit("/", 1)[-1]

    def _new_key(self) -> str:
        keys = f"/api/entities/{self.state['entity_id']}/keys"
        made = self.call("POST", keys, self._owner(), {"type": "sk", "name": "made for a sample event"})
        return str(made["data"]["keyId"])

    def _new_user(self) -> tuple[str, str]:
        email = f"sample-{secrets.token_hex(4)}@questline.local"
        user = self.call("POST", "/api/users", self._operator(), {"email": email, "name": "Sample user"})
        return str(user["data"]["userId"]), str(user["data"]["token"])

    def _new_invitation(self) -> dict[str, str]:
        """A new platform user and a pending invitation of them to the demo entity, as its owner makes one."""
        email = f"sample-{secrets.token_hex(4)}@questline.local"
        user = self.call("POST", "/api/users", self._operator(), {"email": email, "name": "Sample admin"})
        admins = f"/api/entities/{self.state['entity_id']}/admins"
        body = {"role": "ADMIN", "email": email, "name": "Sample"}
        invited = self.call("POST", admins, self._owner(), body)
        return {
            "ADMIN_USER_ID": str(user["data"]["userId"]),
            "ADMIN_USER_TOKEN": str(user["data"]["token"]),
            "INVITATION_ID": str(invited["data"]["invitationId"]),
        }

    def _new_admin(self) -> str:
        """A new platform user who accepted an invitation: an ADMIN of the demo entity."""
        made = self._new_invitation()
        accept = f"/api/entities/{self.state['entity_id']}/invitations/{made['INVITATION_ID']}/accept"
        invitee = {"userid": made["ADMIN_USER_ID"], "token": made["ADMIN_USER_TOKEN"]}
        self.call("POST", accept, invitee, {})
        return made["ADMIN_USER_ID"]

    def _new_entity(self) -> str:
        body = {"name": f"Sample entity {secrets.token_hex(3)}", "chainSource": "OFF_CHAIN"}
        return str(self.call("POST", "/api/entities", self._owner(), body)["data"]["entityId"])

    def _referral_id(self) -> str:
        query = f"pid={self.state['campaign_id']}&account=invoke-referrer&platform=discord"
        return str(self.call("GET", f"/user/ref_id?{query}", self._secret(), None)["data"]["ref_id"])
