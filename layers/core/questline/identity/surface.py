"""Which API surface a request came through (HeyMint, Parcelvoy, claimr, Endu…), so that an identifier
records where it was first linked without every caller of the identity graph passing it along. The HTTP
glue sets it per request (`questline.http.Api`); outside a request (the stream, scripts) it is None."""

from __future__ import annotations

from contextvars import ContextVar, Token

_surface: ContextVar[str | None] = ContextVar("questline_surface", default=None)


def current() -> str | None:
    return _surface.get()


def enter(name: str | None) -> Token[str | None]:
    return _surface.set(name)


def leave(token: Token[str | None]) -> None:
    _surface.reset(token)
