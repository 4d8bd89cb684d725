"""One error envelope per API family (DESIGN.md §2), and the only place domain errors become HTTP; and the
base path a family's real clients put before its canonical paths (`twin_prefix`, see `Api`).

The docs' error-envelope page is rendered from these families (`make docs-tables`): what each answers, per
kind of error, is read there, not kept in a second table here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from questline.errors import BadRequest, QuestlineError, UnknownCredential

ErrorBody = dict[str, Any]


class Family:
    """`twin_prefix`: every route of the family also answers at this prefix + its canonical path, because
    the vendor's real clients keep the vendor's base path when they change the host (claimr's
    `https://prod.claimr.io/api/v1/<route>`, HeyMint's `https://{subdomain}.heymint.quest/api/v1/<route>`
    for the seed's `v1/<route>`)."""

    __slots__ = ("name", "twin_prefix")

    def __init__(self, name: str, *, twin_prefix: str | None = None) -> None:
        self.name = name
        self.twin_prefix = twin_prefix

    def status_of(self, error: QuestlineError) -> int:
        return error.status

    def body_of(self, error: QuestlineError) -> ErrorBody:
        return {"message": error.message, "code": error.code}

    def render(self, error: QuestlineError) -> tuple[int, ErrorBody]:
        return self.status_of(error), self.body_of(error)

    @property
    def validation_status(self) -> int:
        return self.status_of(BadRequest("-"))

    @property
    def schema_name(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_")) + "Error"

    def error_schema(self) -> dict[str, Any]:
        """JSON Schema of this family's error body, for the OpenAPI document."""
        return _object({"message": {"type": "string"}, "code": {"type": "string"}}, ["message", "code"])


class _MessageCode(Family):
    """HeyMint, Endu and the platform routes: `{"message": …, "code": …}`."""


class _Parcelvoy(Family):
    """Parcelvoy's server (parcelvoy/platform): 401 code 1000 for a missing or malformed bearer, 404 code
    6000 for a well-formed key that matches no project, 422 with the first validation error and no code."""

    def status_of(self, error: QuestlineError) -> int:
        if isinstance(error, UnknownCredential):
            return 404
        if isinstance(error, BadRequest):
            return 422
        return error.status

    def body_of(self, error: QuestlineError) -> ErrorBody:
        if isinstance(error, UnknownCredential):
            return {"status": "error", "error": "The requested project does not exist.", "code": 6000}
        if error.status == 401:
            return {"status": "error", "error": "Authorization error.", "code": 1000}
        if isinstance(error, BadRequest):
            return {"status": "error", "error": error.message}
        return {"status": "error", "error": error.message, "code": error.status}

    def error_schema(self) -> dict[str, Any]:
        return _object(
            {"status": {"const": "error"}, "error": {"type": "string"}, "code": {"type": "integer"}},
            ["status", "error"],
        )


class _Claimr(Family):
    def body_of(self, error: QuestlineError) -> ErrorBody:
        return {"success": False, "error": error.message, "code": error.code}

    def error_schema(self) -> dict[str, Any]:
        return _object(
            {"success": {"const": False}, "error": {"type": "string"}, "code": {"type": "string"}},
            ["success", "error", "code"],
        )


class _QuestProtocol(Family):
    def body_of(self, error: QuestlineError) -> ErrorBody:
        return {"success": False, "error": error.message}

    def error_schema(self) -> dict[str, Any]:
        return _object({"success": {"const": False}, "error": {"type": "string"}}, ["success", "error"])


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


HEYMINT: Family = _MessageCode("heymint", twin_prefix="/api")
PARCELVOY: Family = _Parcelvoy("parcelvoy")
CLAIMR: Family = _Claimr("claimr", twin_prefix="/api/v1")
QUEST_PROTOCOL: Family = _QuestProtocol("quest_protocol")
ENDU: Family = _MessageCode("endu")
PLATFORM: Family = _MessageCode("platform")


def validation_error(errors: Sequence[dict[str, Any]]) -> BadRequest:
    """A pydantic/Powertools error list as one clear message naming the field (the first problem)."""
    if not errors:
        return BadRequest("the request is not valid")
    first = errors[0]
    kind = first.get("type", "")
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
    if kind == "json_invalid":
        return BadRequest("the body is not valid JSON", field="body")
    if kind == "unsupported_content_type":
        return BadRequest("send the body as application/json", field="body")
    # Powertools puts the parameter's own location first; numeric parts are list indexes.
    field = ".".join(location) if location else "body"
    message = str(first.get("msg") or "is not valid")
    if kind == "missing":
        message = "is required"
    return BadRequest(f"{field}: {message}", field=field)
