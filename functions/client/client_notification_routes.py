"""In-app notifications for the Parcelvoy SDKs: the engine's own (`questline.notifications`), listed for the
person the SDK names in `x-external-id` / `x-anonymous-id`, and marked read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from questline.auth import ANY_ENTITY_KEY
from questline.auth.policy import WIDGET_TOKEN
from questline.errors import NotFound
from questline.http import CurrentPrincipal, Routes
from questline.http.lazy import lazy_import
from questline.notifications import inbox, service

if TYPE_CHECKING:
    import client_notification_models as models
else:
    models = lazy_import("client_notification_models")

routes = Routes(tag="parcelvoy")
READERS = ANY_ENTITY_KEY | WIDGET_TOKEN  # a widget token names its person itself

PersonHeader = Annotated[
    str | None,
    Header(
        max_length=256, description="the person, as the SDK knows them (the external id is looked up first)"
    ),
]


@routes.get(
    "/api/client/notifications",
    auth=READERS,
    summary="A person's in-app notifications, newest first (unread unless include_read)",
)
def list_notifications(
    caller: CurrentPrincipal,
    x_external_id: PersonHeader = None,
    x_anonymous_id: PersonHeader = None,
    cursor: Annotated[str | None, Query(max_length=32, description="the previous page's next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIMIT)] = service.DEFAULT_LIMIT,
    include_read: Annotated[bool, Query(description="also the notifications already read")] = False,
) -> models.NotificationPage:
    page = service.notifications_page(
        caller, x_external_id, x_anonymous_id, cursor=cursor, limit=limit, include_read=include_read
    )
    return models.NotificationPage(
        results=[models.notification(item) for item in page.items], next_cursor=page.next_cursor, limit=limit
    )


@routes.put(
    "/api/client/notifications/{notificationId}",
    auth=READERS,
    errors=(NotFound,),
    empty=(204, "Read, no body"),
    summary="Mark a notification read (again: no change)",
)
def mark_read(
    notificationId: Annotated[int, Path(ge=1, le=inbox.MAX_ID, description="the notification's id")],
    body: models.ReadIn,
    caller: CurrentPrincipal,
) -> Response[str]:
    service.mark_read(caller, body.external_id, body.anonymous_id, notificationId)
    return Response(status_code=204, body="")
