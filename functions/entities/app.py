"""Quest Protocol Entity API (`/api/users`, `/api/entities/...`): `{"success": true, "data": …}` envelopes.
An entity's users, admins and invitations are served by the members function (`members_app.py`) and the
social connections (Twitter, Discord, Slack, social tokens, integration status) by the social function, both
from this same folder.

Each resource's routes are in their own module. A route joins the resolver on its first request and its API
models load then (`questline.http.lazy`), so a cold start pays for registering the routes, not for every
model and route pattern.
"""

from __future__ import annotations

from entity_key_routes import routes as key_routes
from entity_lookup_routes import routes as lookup_routes
from entity_routes import routes as entity_routes
from entity_theme_routes import routes as theme_routes
from entity_user_routes import routes as user_routes

from questline.http import QUEST_PROTOCOL, Api

api = Api(
    QUEST_PROTOCOL,
    user_routes,
    lookup_routes,
    entity_routes,
    key_routes,
    theme_routes,
)
lambda_handler = api.lambda_handler
