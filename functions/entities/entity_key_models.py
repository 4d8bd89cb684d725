"""API models of an entity's keys (loaded on first use). A plain key appears only in `IssuedKeyView`,
the answer of the create and rotate routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from questline import clock
from questline.http.models import ApiModel, QuestOk
from questline.tenancy.keys import KEY_PREFIX, IssuedKey, Rotation, key_state

KeyType = Literal["sk", "pk"]


class KeyCreate(ApiModel):
    type: KeyType = "sk"
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class KeyView(ApiModel):
    keyId: str
    type: KeyType
    name: str | None = None
    maskedKey: str
    status: Literal["active", "expiring", "expired", "revoked"]
    createdAt: str
    expiresAt: str | None = None
    rotatedTo: str | None = None
    revokedAt: str | None = None


class IssuedKeyView(KeyView):
    key: str  # shown once
    replacesKeyId: str | None = None
    replacedKeyExpiresAt: str | None = None


class IssuedKeyOk(QuestOk[IssuedKeyView]):
    """The new key at `data.key`, and at `key` of the body, where the Quest Labs apps read it."""

    key: str


class KeyListOk(QuestOk[list[KeyView]]):
    """The keys (masked), and at `key` the newest working secret key, masked: keys are stored hashed, so
    the plain key is answered only by create and rotate."""

    key: str | None = None


def key_list(items: list[dict[str, Any]]) -> KeyListOk:
    views = [key_view(item) for item in items]
    working = [v for v in views if v.type == "sk" and v.status == "active"]
    newest = max(working, key=lambda v: v.createdAt, default=None)
    return KeyListOk(data=views, key=newest.maskedKey if newest else None)


def _type_of(kind: str) -> KeyType:
    return "sk" if kind == "secret_key" else "pk"


def key_view(item: dict[str, Any]) -> KeyView:
    expires_at = item.get("expires_at")
    return KeyView(
        keyId=item["key_id"],
        type=_type_of(str(item["kind"])),
        name=item.get("name"),
        maskedKey=item["masked"],
        status=key_state(item),
        createdAt=item["created_at"],
        expiresAt=clock.iso(float(expires_at)) if expires_at is not None else None,
        rotatedTo=item.get("rotated_to"),
        revokedAt=item.get("revoked_at"),
    )


def issued_view(issued: IssuedKey, rotation: Rotation | None = None) -> IssuedKeyView:
    item = issued.item
    return IssuedKeyView(
        keyId=issued.key_id,
        type=KEY_PREFIX[issued.kind],
        name=item.get("name"),
        maskedKey=item["masked"],
        status="active",
        createdAt=item["created_at"],
        key=issued.plain,
        replacesKeyId=rotation.old_key_id if rotation else None,
        replacedKeyExpiresAt=clock.iso(rotation.old_expires_at) if rotation else None,
    )
