"""claimr user routes: widget tokens, referral ids and referrers, activity, progress, referrals, balance,
rewards and withdrawals. `Authorization: Bearer sk_…` (or `x-api-key`); the read-only routes also take the
user's own widget token. `{"success": …}` envelopes."""

from __future__ import annotations

from claimr_user_routes import routes

from questline.campaigns import widgets
from questline.http import CLAIMR, Api

widgets.enable()
api = Api(CLAIMR, routes)
lambda_handler = api.lambda_handler
