"""Quest Protocol Entity API, members: an entity's users and admins and the invitations that make an admin
(`/api/entities/{entityId}/users`, `…/admins`, `…/invitations`, `/api/users/{userId}/invitations`).

A function of its own so that the Entity API's routes spread over three resource policies (each route is one
statement; a policy holds 20 KB). It shares this folder, its envelopes and models with the entities function
(`app.py`).
"""

from __future__ import annotations

from entity_invitation_routes import routes as invitation_routes
from entity_member_routes import routes as member_routes

from questline.http import QUEST_PROTOCOL, Api

api = Api(QUEST_PROTOCOL, member_routes, invitation_routes)
lambda_handler = api.lambda_handler
