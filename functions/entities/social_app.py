"""Quest Protocol Entity API, social connections: Twitter (X), Discord and Slack connect and disconnect, the
social tokens an entity keeps and its integration status (`/api/entities/{entityId}/…`).

A function of its own so that only it can read the OAuth client secrets, and so that the Entity API's
routes spread over two resource policies (each route is one statement; a policy holds 20 KB). It shares
this folder, its envelopes and models with the entities function (`app.py`).
"""

from __future__ import annotations

from entity_social_routes import routes as social_routes

from questline.http import QUEST_PROTOCOL, Api

api = Api(QUEST_PROTOCOL, social_routes)
lambda_handler = api.lambda_handler
