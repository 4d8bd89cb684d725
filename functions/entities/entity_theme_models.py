"""The API model of an entity's theme (loaded on first use, see `questline.http.lazy`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from questline.http.models import ApiModel
from questline.links import WebLink

COLOR_PATTERN = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$"
Color = Annotated[str, Field(pattern=COLOR_PATTERN)]


class Theme(ApiModel):
    """An entity's theme, as its widgets read it. Unknown fields are refused (a typo would be lost)."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["light", "dark"] | None = None
    primaryColor: Color | None = None
    secondaryColor: Color | None = None
    accentColor: Color | None = None
    backgroundColor: Color | None = None
    textColor: Color | None = None
    borderColor: Color | None = None
    buttonColor: Color | None = None
    fontFamily: Annotated[str, Field(max_length=100)] | None = None
    borderRadius: Annotated[int, Field(ge=0, le=64)] | None = None
    logoUrl: WebLink | None = None
    faviconUrl: WebLink | None = None
