"""Quest Protocol Entity API (`/api/...`): `{"success": true, "data": …}` envelopes."""

from __future__ import annotations

from entity_routes import routes

from questline.http import QUEST_PROTOCOL, Api

api = Api(QUEST_PROTOCOL, routes)
lambda_handler = api.lambda_handler
