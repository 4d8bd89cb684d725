"""claimr campaign routes: `/campaign/info`, `/campaign/points`, `/campaign/stats` and invite codes
(`/code`). `Bearer sk_…`."""

from __future__ import annotations

from claimr_campaign_routes import routes

from questline.http import CLAIMR, Api

api = Api(CLAIMR, routes)
lambda_handler = api.lambda_handler
