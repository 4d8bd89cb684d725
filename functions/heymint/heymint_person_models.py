"""A person's export and erasure (our extension of the HeyMint family): answers in HeyMint's camelCase."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from questline.http.models import ApiModel


class PersonModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")


class ErasureOut(PersonModel):
    """Where a person's erasure stands: `erasing` (the rest is being removed; poll
    `GET /v1/identities/{identityId}/erasure`) or `erased`."""

    identityId: str
    status: Literal["erasing", "erased"]
    requestedAt: str | None
    erasedAt: str | None
    erasedIdentityIds: list[str] = Field(description="the person's identity and every one merged into it")
    removedItems: int


class ExportOut(PersonModel):
    """One page of everything stored about a person. The first page (no cursor) carries `profile`,
    `identifiers`, `inviteCodes` and `widgetTokens`; every page carries up to `limit` items of the history
    sections; `nextCursor` continues, null when the export is complete. Tokens are masked."""

    identityId: str
    mergedIds: list[str]
    exportedAt: str
    profile: dict[str, Any] | None
    identifiers: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    progress: list[dict[str, Any]]
    balances: list[dict[str, Any]]
    completions: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    webhookDeliveries: list[dict[str, Any]]
    widgetTokens: list[dict[str, Any]]
    inviteCodes: list[dict[str, Any]]
    other: list[dict[str, Any]]
    nextCursor: str | None
