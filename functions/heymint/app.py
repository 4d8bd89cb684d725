"""HeyMint Quest API (`/v1/...`): identities, claims, event definitions and event logs; a person's export
and erasure (ours).
`x-api-key: sk_…`; errors `{"message": …, "code": …}`."""

from __future__ import annotations

from heymint_event_routes import routes as event_routes
from heymint_identity_routes import routes as identity_routes
from heymint_person_routes import routes as person_routes

from questline.http import HEYMINT, Api

api = Api(HEYMINT, identity_routes, person_routes, event_routes)
lambda_handler = api.lambda_handler
