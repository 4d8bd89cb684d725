"""Path and query parameters shared by the entity routes (cheap to build at import: no models)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from questline.tenancy.paging import MAX_LIMIT

EntityId = Annotated[str, Path(pattern=r"^e-[0-9a-f]{32}$", description="Entity id (e-…)")]
UserId = Annotated[str, Path(pattern=r"^u-[0-9a-f]{32}$", description="Platform user id (u-…)")]
# The id of a user a request names, as loose as the vendor's (the seed's `admin-1`, `u-0000101`): an id that
# is no user's is a 404, not a 400 from a pattern stricter than the vendor's.
MEMBER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
MemberId = Annotated[str, Path(pattern=MEMBER_ID_PATTERN, description="Platform user id (u-…)")]
KeyId = Annotated[str, Path(pattern=r"^k-[0-9a-f]{32}$", description="Key id (k-…)")]
Page = Annotated[int, Query(ge=1, le=1000, description="Page number, from 1")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})")]
