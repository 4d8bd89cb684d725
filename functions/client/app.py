"""Parcelvoy's client API (`/api/client/...`): alias, identify, devices, events (204, empty) and in-app
notifications. `Authorization: Bearer pk_…` or `sk_…` (notifications also take the person's widget token);
Parcelvoy's own error bodies."""

from __future__ import annotations

from client_notification_routes import routes as notification_routes
from client_routes import routes

from questline.campaigns import widgets
from questline.http import PARCELVOY, Api

widgets.enable()  # the person's own widget token reads their notifications
api = Api(PARCELVOY, routes, notification_routes)
lambda_handler = api.lambda_handler
