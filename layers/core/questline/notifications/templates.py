"""The `notifications` section of a campaign definition: which of a person's activities become in-app
notifications, and how they read.

    "notifications": {
      "expires_in_days": 30,                 # every kind's default (1-365)
      "require_user_token": false,           # true: a publishable key never reads this campaign's
      "task": {"title": "Nice!", "body": "{{action.name}}: +{{xp}} XP"},
      "quest": {"content_type": "alert", "image": "https://…/trophy.png"},
      "reward": false,                       # off
      "referral": true                       # on, with the defaults below
    }

A campaign without the section makes no notifications (each one is a write; an integrator who does not use
an in-app surface should not pay for it). With it, every kind is on unless set to `false`; a kind given as
an object overrides the default's fields it names. Placeholders (`{{xp}}`, `{{action.name}}`…) are checked
when the campaign is saved: an unknown one is a 400 naming the field. In an `html` notification the values
put into `html` are HTML-escaped; `title` and `body` are plain text everywhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import ConfigDict, Field

from questline.errors import BadRequest
from questline.http.models import ApiModel
from questline.storage.codec import check_client_value

Kind = Literal["task", "quest", "reward", "referral"]
ContentType = Literal["banner", "alert", "html"]
KINDS: tuple[Kind, ...] = ("task", "quest", "reward", "referral")

_CAMPAIGN = frozenset({"campaign.id", "campaign.name"})
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "task": _CAMPAIGN | {"xp", "action.id", "action.name"},
    "quest": _CAMPAIGN | {"xp", "quest.id", "quest.name"},
    "reward": _CAMPAIGN | {"xp"},
    "referral": _CAMPAIGN,
}
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")
Days = Annotated[int, Field(ge=1, le=365)]
CustomValue = Annotated[str, Field(max_length=1000)] | int | float | bool


class _Model(ApiModel):
    model_config = ConfigDict(defer_build=True, extra="forbid")


class NotificationTemplate(_Model):
    """One kind's notification; every field left out takes the kind's default."""

    content_type: ContentType | None = None
    title: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    body: Annotated[str, Field(max_length=2000)] | None = None
    image: Annotated[str, Field(max_length=2048)] | None = Field(default=None, description="alert")
    html: Annotated[str, Field(max_length=20_000)] | None = Field(default=None, description="html")
    read_on_show: bool | None = None
    custom: dict[str, CustomValue] | None = Field(default=None, max_length=20)
    expires_in_days: Days | None = None


class NotificationRules(_Model):
    expires_in_days: Days = 30
    require_user_token: bool = Field(
        default=False,
        description="only a secret key or the person's widget token reads these (never a publishable key)",
    )
    task: NotificationTemplate | bool = True
    quest: NotificationTemplate | bool = True
    reward: NotificationTemplate | bool = True
    referral: NotificationTemplate | bool = True

    def template(self, kind: str) -> Resolved | None:
        """The kind's template with its defaults filled in, or None when the kind is off."""
        chosen = getattr(self, kind, False)
        if chosen is False:
            return None
        given = chosen if isinstance(chosen, NotificationTemplate) else NotificationTemplate()
        default = DEFAULTS[kind]
        fields = {name: value for name, value in given.model_dump().items() if value is not None}
        merged = {**default._asdict(), **fields}
        if merged["expires_in_days"] is None:
            merged["expires_in_days"] = self.expires_in_days
        return Resolved(**merged)


class Resolved(NamedTuple):
    content_type: str
    title: str
    body: str
    image: str | None = None
    html: str | None = None
    read_on_show: bool = False
    custom: Mapping[str, Any] | None = None
    expires_in_days: int | None = None

    def content(self, values: Mapping[str, str], context: Mapping[str, Any]) -> dict[str, Any]:
        """Parcelvoy's `content` object, with the placeholders filled in."""
        content: dict[str, Any] = {
            "title": render(self.title, values),
            "body": render(self.body, values),
            "read_on_show": self.read_on_show,
            "custom": {**(self.custom or {}), "context": dict(context)},
        }
        if self.content_type == "alert" and self.image:
            content["image"] = render(self.image, values)
        if self.content_type == "html":
            content["html"] = render(self.html or "", values, escape=True)
        return content


DEFAULTS: dict[str, Resolved] = {
    "task": Resolved("banner", "Task completed", "{{action.name}}: +{{xp}} XP"),
    "quest": Resolved("banner", "Quest completed", "{{quest.name}}: +{{xp}} XP"),
    "reward": Resolved("banner", "You earned {{xp}} XP", "{{campaign.name}}"),
    "referral": Resolved(
        "banner", "Referral confirmed", "A friend you invited qualified in {{campaign.name}}."
    ),
}


def render(text: str, values: Mapping[str, str], *, escape: bool = False) -> str:
    def value(match: re.Match[str]) -> str:
        filled = values.get(match.group(1), "")
        return html.escape(filled) if escape else filled

    return _PLACEHOLDER.sub(value, text)


def check_notifications(rules: NotificationRules | None, where: str = "notifications") -> None:
    """What pydantic cannot check: placeholders each kind knows, and an `html` notification's markup."""
    if rules is None:
        return
    for kind in KINDS:
        chosen = getattr(rules, kind)
        if not isinstance(chosen, NotificationTemplate):
            continue
        for field in ("title", "body", "image", "html"):
            text = getattr(chosen, field)
            for name in _PLACEHOLDER.findall(text or ""):
                if name not in PLACEHOLDERS[kind]:
                    known = ", ".join("{{" + p + "}}" for p in sorted(PLACEHOLDERS[kind]))
                    raise BadRequest(
                        f"{where}.{kind}.{field}: unknown placeholder {{{{{name}}}}} (known: {known})",
                        field=f"{where}.{kind}.{field}",
                    )
        if chosen.custom is not None:
            check_client_value(chosen.custom, f"{where}.{kind}.custom", kept_numbers=False)
        if chosen.content_type == "html" and not chosen.html:
            raise BadRequest(
                f"{where}.{kind}.html: an html notification needs its html", field=f"{where}.{kind}.html"
            )
