"""claimr webhook routes: `POST /hook` and `DELETE /hook` as claimr documents them, and our listing,
deliveries and redelivery. `Authorization: Bearer sk_…` (or `x-api-key`). `{"success": …}` envelopes."""

from __future__ import annotations

from claimr_hook_routes import routes

from questline.http import CLAIMR, Api

api = Api(CLAIMR, routes)
lambda_handler = api.lambda_handler
