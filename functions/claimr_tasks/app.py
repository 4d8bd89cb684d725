"""claimr task routes: `/action/value`, `/stream/value`, `/event`, `/events`. `Bearer sk_…`."""

from __future__ import annotations

from claimr_task_routes import routes

from questline.http import CLAIMR, Api

api = Api(CLAIMR, routes)
lambda_handler = api.lambda_handler
