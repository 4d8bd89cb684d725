"""Campaign management in the Entity API (`/api/entities/{entityId}/campaigns...`): drafts, publishing,
the list, invite codes. Quest Protocol's `{"success": …}` envelopes."""

from __future__ import annotations

from campaign_admin_routes import routes

from questline.http import QUEST_PROTOCOL, Api

api = Api(QUEST_PROTOCOL, routes)
lambda_handler = api.lambda_handler
