"""The Parcelvoy SDKs' in-app notification shapes (loaded on the first notification request, see
`questline.http.lazy`): snake_case, dates as `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, integer ids, as the iOS
(`JSONDecoder`, `.convertFromSnakeCase`) and Android (Gson, lower_case_with_underscores) SDKs decode them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from questline.http.models import ApiModel


class NotificationContent(ApiModel):
    title: str
    body: str
    read_on_show: bool = False
    custom: dict[str, Any] = Field(
        default_factory=dict, description="the template's custom values and context"
    )
    image: str | None = Field(default=None, description="alert notifications")
    html: str | None = Field(default=None, description="html notifications")


class Notification(ApiModel):
    id: int = Field(description="below 2^53: a JavaScript number, an iOS Int, an Android Long")
    content_type: Literal["banner", "alert", "html"]
    content: NotificationContent
    read_at: str | None
    expires_at: str | None
    created_at: str


class NotificationPage(ApiModel):
    """Parcelvoy's page: `next_cursor` is null on the last page."""

    results: list[Notification]
    next_cursor: str | None
    limit: int


class ReadIn(ApiModel):
    """Who marks the notification read: the SDKs send the ids they know (explicit nulls from Android)."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    anonymous_id: str | None = Field(default=None, min_length=1, max_length=256)
    external_id: str | None = Field(default=None, min_length=1, max_length=256)


def notification(item: dict[str, Any]) -> Notification:
    content = dict(item["content"])
    return Notification(
        id=int(item["notification_id"]),
        content_type=item["content_type"],
        content=NotificationContent(
            title=str(content.get("title", "")),
            body=str(content.get("body", "")),
            read_on_show=bool(content.get("read_on_show", False)),
            custom=dict(content.get("custom") or {}),
            image=content.get("image"),
            html=content.get("html"),
        ),
        read_at=item.get("read_at"),
        expires_at=item.get("expires_at"),
        created_at=str(item["created_at"]),
    )
