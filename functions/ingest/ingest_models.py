"""Endu's event shape: the base keys every request carries, plus at least one identity key."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from questline.http.models import ApiModel


class EnduModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")


class Blockchain(EnduModel):
    chain_type: str = Field(min_length=1, max_length=64)
    chain_account: str = Field(min_length=1, max_length=256)


class RecordIn(EnduModel):
    property_id: str = Field(min_length=1, max_length=256)
    organization_id: str = Field(min_length=1, max_length=64)
    timestamp: StrictStr | StrictInt | StrictFloat = Field(
        description="Unix seconds, as a string or a number"
    )
    event_type: str = Field(min_length=1, max_length=256)
    event_data: dict[str, Any]
    p_user_id: str | None = Field(default=None, min_length=1, max_length=256)
    platform_type: str | None = Field(default=None, min_length=1, max_length=32)
    c_user_id: str | None = Field(default=None, min_length=1, max_length=64)
    blockchain: Blockchain | None = None
    fingerprint: str | None = Field(default=None, min_length=1, max_length=256)
