"""Parcelvoy client shapes. The real SDKs send explicit nulls for absent optional fields (accepted
everywhere) and the Android SDK sends event data as `properties` (accepted as another name for `data`)."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from questline.http.models import ApiModel

Id = Field(default=None, min_length=1, max_length=256)


class ClientModel(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="ignore")


class AliasIn(ClientModel):
    anonymous_id: str = Field(min_length=1, max_length=256)
    external_id: str = Field(min_length=1, max_length=256)


class Traits(ClientModel):
    anonymous_id: str | None = Id
    external_id: str | None = Id
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    timezone: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=35)
    data: dict[str, Any] | None = None


class DeviceIn(ClientModel):
    anonymous_id: str | None = Id
    external_id: str | None = Id
    device_id: str = Field(min_length=1, max_length=256)
    token: str | None = Field(default=None, max_length=4096)
    os: str = Field(min_length=1, max_length=128)
    os_version: str | None = Field(default=None, max_length=128)
    model: str = Field(min_length=1, max_length=128)
    app_build: str = Field(min_length=1, max_length=64)
    app_version: str = Field(min_length=1, max_length=64)


class EventIn(ClientModel):
    name: str = Field(min_length=1, max_length=256)
    anonymous_id: str | None = Id
    external_id: str | None = Id
    data: dict[str, Any] | None = None
    properties: dict[str, Any] | None = None
    user: Traits | None = None
