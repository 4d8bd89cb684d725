"""Parcelvoy's client API (`/api/client/...`): alias, identify, devices, events. `Authorization: Bearer
pk_…` or `sk_…`; 204 on success; Parcelvoy's own error bodies."""

from __future__ import annotations

from client_routes import routes

from questline.http import PARCELVOY, Api

api = Api(PARCELVOY, routes)
lambda_handler = api.lambda_handler
