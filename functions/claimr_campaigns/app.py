"""claimr campaign routes: `/campaign/info`, `/campaign/points`, `/campaign/stats`, `/campaign/dry-run`,
invite codes (`/code`) and `/leaderboard`. `Bearer sk_…`; the leaderboard also takes a user's widget token."""

from __future__ import annotations

from claimr_campaign_routes import routes

from questline.campaigns import widgets
from questline.http import CLAIMR, Api

widgets.enable()
api = Api(CLAIMR, routes)
lambda_handler = api.lambda_handler
