"""Links Questline hands to browsers (an entity's website, images, its public theme's logo): a page that
renders one as `href` or `src` must never run it. A link is an absolute http(s) URL with a host, or a
reference with no scheme at all (`/favicon.ico`, the seed's `imageurl`), which a browser resolves against
the page; nothing else: no `javascript:`, `data:`, `vbscript:`, `file:` or any other scheme, and no
whitespace, control characters or backslashes, which browsers strip or rewrite before they read the
scheme (`java\\tscript:` runs as `javascript:`)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

MAX_LINK_LENGTH = 2048
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_REWRITTEN_BY_BROWSERS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")
WEB_SCHEMES = frozenset({"http", "https"})


def link_problem(value: str) -> str | None:
    """What makes `value` unfit to serve as a link (None: it is fit)."""
    if _REWRITTEN_BY_BROWSERS.search(value):
        return "must be a link without spaces, control characters or backslashes"
    scheme = _SCHEME.match(value)
    if scheme is None:
        return None  # a relative reference
    if scheme.group(1).lower() not in WEB_SCHEMES:
        return "must be an http or https link"
    try:
        host = urlsplit(value).hostname
    except ValueError:
        host = None
    return None if host else "must be an http or https link with a host"


def _checked(value: str) -> str:
    problem = link_problem(value)
    if problem is not None:
        raise PydanticCustomError("link", problem)
    return value


WebLink = Annotated[str, Field(max_length=MAX_LINK_LENGTH), AfterValidator(_checked)]
"""A request field holding a link that will be served to browsers."""
