"""claimr wallet routes (`/wallet/*`): the same users, named by wallet address. `Bearer sk_…`."""

from __future__ import annotations

from claimr_wallet_routes import routes

from questline.http import CLAIMR, Api

api = Api(CLAIMR, routes)
lambda_handler = api.lambda_handler
