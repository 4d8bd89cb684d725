"""Success envelopes as generic pydantic models, so each route's OpenAPI schema shows its real shape."""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class ApiModel(BaseModel):
    """Base of every request and response model. Validators are built on first use, not at import:
    a function's cold start then pays only for the models of the route it serves."""

    model_config = ConfigDict(defer_build=True)


class QuestOk(ApiModel, Generic[T]):
    """Quest Protocol and claimr: `{"success": true, "data": …}`."""

    success: Literal[True] = True
    data: T


class Success(ApiModel):
    """claimr's bare `{"success": true}`."""

    success: Literal[True] = True
