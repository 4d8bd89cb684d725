"""Domain errors. Services raise these; each API family maps them to its own envelope in one place
(`questline.http.envelopes`). Nothing here knows about HTTP bodies or AWS error codes."""

from __future__ import annotations


class QuestlineError(Exception):
    """Base of every error a client may see. `code` is a stable machine-readable word."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class BadRequest(QuestlineError):
    """The request is malformed or a field fails validation."""

    status = 400
    code = "bad_request"


class Unauthorized(QuestlineError):
    """No credential, or a malformed one."""

    status = 401
    code = "unauthorized"


class UnknownCredential(Unauthorized):
    """A well-formed credential that matches nothing (Parcelvoy answers this one with 404)."""

    code = "unknown_credential"


class Forbidden(QuestlineError):
    """A valid credential that may not do this."""

    status = 403
    code = "forbidden"


class NotFound(QuestlineError):
    """What the request names does not exist, or is outside the caller's reach."""

    status = 404
    code = "not_found"


class Conflict(QuestlineError):
    """The request contradicts stored state (a duplicate with a different body, a taken identifier)."""

    status = 409
    code = "conflict"


class PayloadTooLarge(QuestlineError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(QuestlineError):
    status = 415
    code = "unsupported_media_type"


class RuleViolation(QuestlineError):
    """Well-formed, but a business rule refuses it (self-referral, exhausted code, strict balance)."""

    status = 422
    code = "rule_violation"


class TooManyRequests(QuestlineError):
    """A rate limit or quota of the tenant's plan is used up: retry after `Retry-After` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class Retryable(QuestlineError):
    """A transient storage failure (throttling, a transaction conflict): the caller may retry."""

    status = 503
    code = "temporarily_unavailable"
