"""Endu event ingestion (`POST /api/events/record`): one event, any combination of identity keys.
`Authorization: Bearer pk_…` or `sk_…`; an empty 200 on success; `{"message", "code"}` on bad input."""

from __future__ import annotations

from ingest_routes import routes

from questline.http import ENDU, Api

api = Api(ENDU, routes)
lambda_handler = api.lambda_handler
