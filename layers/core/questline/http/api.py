"""The HTTP glue every API function shares.

`Routes` is a Powertools Router whose routes are written in the template's path syntax
(`/v1/identities/{identityId}`) and declare their `AuthPolicy`. `Api` is one endpoint-group function: it
owns the Powertools resolver (pydantic validation, OpenAPI) and, per request, in this order:

1. finds the route's policy from the event's `routeKey` (what API Gateway matched),
2. refuses bodies over the size limit (413),
3. authenticates (401 in the family's envelope; before validation, so anonymous callers learn nothing),
4. counts a write request against the tenant's plan (`questline.tenancy.limits`: 429 with
   `Retry-After` over a limit), valid or not,
5. checks the body is JSON it can read (400/415),
6. lets the resolver validate and run the route; every error, raised anywhere, leaves through the
   family's one envelope mapping (`questline.http.envelopes`);
7. for a route declared with `etag=True` (what a polling widget reads), tags a 200 answer with an `ETag`
   (a hash of its body) and answers `304 Not Modified`, without a body, to a request whose
   `If-None-Match` names it: the route still runs (its reads are what tell whether anything changed), but
   an unchanged answer costs the client no body and no re-render.

A family with a `twin_prefix` (claimr, HeyMint) also serves every route at that prefix + its canonical path:
the route is declared once, at its canonical path; the twin's route key maps to it, and the event is
rewritten to the canonical path before anything else sees it, so policies, validation, handlers and logs
behave identically. The template still routes each twin (API Gateway routes only what it is given);
`route_keys` includes the twins, so the OpenAPI build fails when a twin event is missing.

Routes join the resolver on first use: Powertools compiles a regular expression for every route it is
given (most of a route's cost), and a container serves the routes it is asked for, so a cold start pays
for the route of its first request only. `route_key` names the route exactly (API Gateway matched it), and
no two dynamic routes of one method may match the same path (a unit test checks), so which routes joined
before never changes which one answers.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import time
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    Depends,
    Request,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths

from questline.auth import AuthPolicy, Principal, authenticate
from questline.auth.principal import CredentialKind
from questline.errors import (
    NotFound,
    QuestlineError,
    Retryable,
    TooManyRequests,
    Unauthorized,
    UnknownCredential,
    UnsupportedMediaType,
)
from questline.http import json_text
from questline.http.body import prepare_json_body, raw_body, wrap_bare_array
from questline.http.envelopes import Family, validation_error
from questline.identity import surface
from questline.observability import instrument, logger
from questline.settings import get_settings
from questline.storage import capacity
from questline.tenancy import limits

CAPACITY_HEADER = "x-questline-capacity"
_PATH_PARAMETER = re.compile(r"\{(\w+)\}")

# OpenAPI security schemes, one per way a credential travels (merged into the published document).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerKey": {"type": "http", "scheme": "bearer", "description": "sk_, pk_ or op_ key as a bearer token"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    "questApiKey": {"type": "apiKey", "in": "header", "name": "apikey"},
    "platformUserId": {"type": "apiKey", "in": "header", "name": "userid"},
    "platformUserToken": {"type": "apiKey", "in": "header", "name": "token"},
}


def _security_for(policy: AuthPolicy) -> list[dict[str, list[str]]] | None:
    if policy.is_public:
        return None
    options: list[dict[str, list[str]]] = []
    if policy.accepts & {
        CredentialKind.OPERATOR,
        CredentialKind.SECRET_KEY,
        CredentialKind.PUBLISHABLE_KEY,
        CredentialKind.WIDGET_TOKEN,
    }:
        options += [{"bearerKey": []}, {"apiKeyHeader": []}, {"questApiKey": []}]
    if CredentialKind.PLATFORM_USER in policy.accepts:
        options.append({"platformUserId": [], "platformUserToken": []})
    return options


def to_powertools_rule(path: str) -> str:
    """`/a/{b}` (API Gateway, the template) -> `/a/<b>` (Powertools)."""
    return _PATH_PARAMETER.sub(r"<\1>", path)


def _error_headers(error: QuestlineError) -> dict[str, str]:
    """`Retry-After` on a 429 (a plan's rate limit or quota), in every family."""
    if isinstance(error, TooManyRequests):
        return {"Retry-After": str(error.retry_after)}
    return {}


def _at_canonical_path(event: dict[str, Any], canonical: str, prefix_length: int) -> dict[str, Any]:
    """A twin's event as if API Gateway had matched the canonical route: its route key and paths."""
    context = dict(event.get("requestContext") or {})
    http = dict(context.get("http") or {})
    if "path" in http:
        http["path"] = str(http["path"])[prefix_length:]
    context.update(http=http, routeKey=canonical)
    raw_path = str(event.get("rawPath", ""))[prefix_length:]
    return {**event, "routeKey": canonical, "rawPath": raw_path, "requestContext": context}


def with_etag(response: dict[str, Any], request_headers: dict[str, Any]) -> dict[str, Any]:
    """A 200 answer tagged with a weak ETag of its body; a 304 without a body when the request's
    `If-None-Match` already names it (a list of tags, or `*`, as RFC 9110 allows)."""
    if int(response.get("statusCode", 200)) != 200 or response.get("isBase64Encoded"):
        return response
    body = str(response.get("body") or "")
    tag = 'W/"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    answered = {**(response.get("headers") or {}), "ETag": tag, "Cache-Control": "private, no-cache"}
    headers = {str(name).lower(): value for name, value in request_headers.items()}
    wanted = {t.strip().removeprefix("W/") for t in str(headers.get("if-none-match") or "").split(",")}
    if tag.removeprefix("W/") in wanted or "*" in wanted:
        return {**response, "statusCode": 304, "headers": answered, "body": "", "isBase64Encoded": False}
    return {**response, "headers": answered}


def current_principal(request: Request) -> Principal:
    principal = request.context.get("principal")
    if principal is None:  # pragma: no cover - a route without a policy never reaches its handler
        raise RuntimeError("route reached without authentication")
    return principal  # type: ignore[no-any-return]


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
"""Inject the authenticated caller into a route handler: `def route(..., caller: CurrentPrincipal)`."""


ErrorKinds = tuple[type[QuestlineError], ...]


class Routes:
    """The routes of one resource. Each declares the credentials it accepts and the domain errors it may
    answer (`errors=`, added to the resource's own), so the OpenAPI document lists every status it sends."""

    def __init__(self, *, tag: str, errors: ErrorKinds = ()) -> None:
        self.tag = tag
        self.errors = errors
        self.route_errors: dict[str, ErrorKinds] = {}
        self.policies: dict[str, AuthPolicy] = {}
        self.routers: dict[str, Router] = {}  # one per route, so each joins the resolver on its own
        self.empty_success: dict[str, tuple[int, str]] = {}
        self.bare_arrays: dict[str, str] = {}
        self.etags: set[str] = set()

    def _route(self, method: str, path: str, auth: AuthPolicy, kwargs: dict[str, Any]) -> Callable[..., Any]:
        """`empty=(status, description)`: a success without a body (Parcelvoy's 204, Endu's 200).
        `bare_array_as=field`: a JSON array body is taken as `{field: array}` (a vendor's example sends
        the array alone where the model has one list field)."""
        route_key = f"{method} {path}"
        self.policies[route_key] = auth
        self.route_errors[route_key] = self.errors + tuple(kwargs.pop("errors", ()))
        empty = kwargs.pop("empty", None)
        if empty is not None:
            self.empty_success[route_key] = empty
        bare_array_as = kwargs.pop("bare_array_as", None)
        if bare_array_as is not None:
            self.bare_arrays[route_key] = bare_array_as
        if kwargs.pop("etag", False):
            self.etags.add(route_key)
        security = _security_for(auth)
        if security is not None:
            kwargs.setdefault("security", security)
        kwargs.setdefault("tags", [self.tag])
        router = self.routers[route_key] = Router()
        register = getattr(router, method.lower())
        return register(to_powertools_rule(path), **kwargs)  # type: ignore[no-any-return]

    def get(self, path: str, *, auth: AuthPolicy, **kwargs: Any) -> Callable[..., Any]:
        return self._route("GET", path, auth, kwargs)

    def post(self, path: str, *, auth: AuthPolicy, **kwargs: Any) -> Callable[..., Any]:
        return self._route("POST", path, auth, kwargs)

    def put(self, path: str, *, auth: AuthPolicy, **kwargs: Any) -> Callable[..., Any]:
        return self._route("PUT", path, auth, kwargs)

    def patch(self, path: str, *, auth: AuthPolicy, **kwargs: Any) -> Callable[..., Any]:
        return self._route("PATCH", path, auth, kwargs)

    def delete(self, path: str, *, auth: AuthPolicy, **kwargs: Any) -> Callable[..., Any]:
        return self._route("DELETE", path, auth, kwargs)


class Api:
    """One endpoint-group Lambda: a resolver, the routes it serves, and its family's envelope."""

    def __init__(self, family: Family, *routes: Routes, json_responses: bool = True) -> None:
        self.family = family
        # A response that breaks its own model is our bug: a 500, never a 400 blamed on the client.
        self.resolver = APIGatewayHttpResolver(
            enable_validation=True,
            response_validation_error_http_code=500,
            serializer=json_text.dumps,
            json_body_deserializer=json_text.loads,
        )
        self.policies: dict[str, AuthPolicy] = {}
        self.route_errors: dict[str, ErrorKinds] = {}
        self.empty_success: dict[str, tuple[int, str]] = {}
        self.bare_arrays: dict[str, str] = {}
        self.etags: set[str] = set()
        self.json_responses = json_responses
        self._pending: dict[str, Router] = {}  # routes not yet given to the resolver
        for group in routes:
            self.policies.update(group.policies)
            self.route_errors.update(group.route_errors)
            self.empty_success.update(group.empty_success)
            self.bare_arrays.update(group.bare_arrays)
            self.etags |= group.etags
            self._pending.update(group.routers)
        # twin route key -> canonical route key (the vendor's base path before the canonical path)
        self.twins: dict[str, str] = {}
        if family.twin_prefix:
            for route_key in self.policies:
                method, path = route_key.split(" ", 1)
                self.twins[f"{method} {family.twin_prefix}{path}"] = route_key
        self.resolver.exception_handler(QuestlineError)(self._domain_error)
        self.resolver.exception_handler(RequestValidationError)(self._validation_error)
        self.resolver.exception_handler(RequestUnsupportedContentType)(self._unsupported_content)
        self.resolver.exception_handler(Exception)(self._unexpected_error)
        self.lambda_handler = instrument(self.handle, correlation_id_path=correlation_paths.API_GATEWAY_HTTP)

    @property
    def route_keys(self) -> set[str]:
        """Every route this function answers: the declared ones and their twins."""
        return set(self.policies) | set(self.twins)

    def _include(self, route_key: str) -> None:
        router = self._pending.pop(route_key, None)
        if router is not None:
            self.resolver.include_router(router)

    def include_all(self) -> None:
        for route_key in list(self._pending):
            self._include(route_key)

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        tally = capacity.reset()
        started = time.perf_counter()
        route_key = str(event.get("routeKey", ""))
        settings = get_settings()
        canonical = self.twins.get(route_key)
        if canonical is not None:
            event = _at_canonical_path(event, canonical, len(str(self.family.twin_prefix)))
        entered = surface.enter(self.family.name)
        try:
            policy = self.policies.get(canonical or route_key)
            if policy is None:
                raise NotFound(f"no route {route_key or '(none)'} in this function")
            raw = raw_body(event, settings.max_body_bytes)
            principal = authenticate(policy, event.get("headers") or {})
            # Every write request counts against the tenant's plan, valid or not (a flood of bad requests
            # is not free either): its count is the only thing a refused or invalid request changes.
            limits.admit_write(principal, route_key.split(" ", 1)[0])
            prepared = prepare_json_body(event, raw)
            bare_array_as = self.bare_arrays.get(canonical or route_key)
            if bare_array_as is not None:
                prepared = wrap_bare_array(prepared, bare_array_as)
            self._include(canonical or route_key)
            self.resolver.append_context(principal=principal)
            with limits.serving(principal):  # identities this request creates count for its caller
                response = self.resolver.resolve(prepared, context)
        except QuestlineError as error:
            response = self.error_response(error)
        finally:
            self.resolver.clear_context()
            surface.leave(entered)
        if (canonical or route_key) in self.etags:
            response = with_etag(response, event.get("headers") or {})
        status = int(response.get("statusCode", 200))
        if settings.expose_capacity:
            response.setdefault("headers", {})[CAPACITY_HEADER] = tally.header(time.perf_counter() - started)
        logger.info(
            "request",
            extra={
                "route": route_key,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "dynamodb": tally.as_dict(),
            },
        )
        return response

    def error_response(self, error: QuestlineError) -> dict[str, Any]:
        status, body = self.family.render(error)
        return {
            "statusCode": status,
            "headers": {"Content-Type": content_types.APPLICATION_JSON, **_error_headers(error)},
            "body": json.dumps(body, separators=(",", ":")),
            "isBase64Encoded": False,
        }

    def openapi_schema(self, *, title: str) -> dict[str, Any]:
        from aws_lambda_powertools.event_handler.openapi.models import APIKey, APIKeyIn, HTTPBearer

        schemes: dict[str, Any] = {
            name: HTTPBearer(description=spec.get("description"))
            if spec["type"] == "http"
            else APIKey(name=spec["name"], **{"in": APIKeyIn.header})
            for name, spec in SECURITY_SCHEMES.items()
        }
        self.include_all()
        schema = self.resolver.get_openapi_schema(title=title, version="1.0.0", security_schemes=schemes)
        document: dict[str, Any] = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
        self._document_errors(document)
        self._document_twins(document)
        return document

    def _document_twins(self, document: dict[str, Any]) -> None:
        """Each twin as an operation of its own (API Gateway routes it), the same as its canonical one."""
        prefix = self.family.twin_prefix
        if not prefix:
            return
        paths = document.get("paths", {})
        for path, operations in list(paths.items()):
            twin: dict[str, Any] = {}
            for method, operation in operations.items():
                copied = copy.deepcopy(operation)
                if "operationId" in copied:
                    copied["operationId"] = f"{copied['operationId']}_api_v1"
                copied["x-questline-twin-of"] = path
                copied["description"] = (
                    f"The same route as `{method.upper()} {path}`, under the vendor's real base path "
                    f"(`{prefix}`), for clients that keep their paths and change only the host."
                )
                twin[method] = copied
            paths[f"{prefix}{path}"] = twin

    def _document_errors(self, document: dict[str, Any]) -> None:
        """Replace Powertools' generic 422/500 entries with what this family really answers."""
        family = self.family
        reference = {"$ref": f"#/components/schemas/{family.schema_name}"}
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas[family.schema_name] = family.error_schema()
        for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
            schemas.pop(name, None)
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                route_key = f"{method.upper()} {path}"
                policy = self.policies.get(route_key)
                if policy is not None and not policy.is_public:
                    # Which kinds of credential the route accepts; `security` says only how they travel.
                    operation["x-questline-credentials"] = sorted(kind.value for kind in policy.accepts)
                responses = operation.setdefault("responses", {})
                empty = self.empty_success.get(route_key)
                if empty is not None:
                    responses.pop("200", None)
                    responses[str(empty[0])] = {"description": empty[1]}
                for generic in ("422", "500"):
                    if responses.get(generic, {}).get("description") in (
                        "Validation Error",
                        "Response Validation Error",
                    ):
                        del responses[generic]
                for status, description in self._error_statuses(method, path, policy).items():
                    responses.setdefault(
                        str(status),
                        {"description": description, "content": {"application/json": {"schema": reference}}},
                    )

    def _error_statuses(self, method: str, path: str, policy: AuthPolicy | None) -> dict[int, str]:
        """Every error status the route may answer, with what it means."""
        family = self.family
        statuses = {family.validation_status: "The request is not valid (the message names the field)"}
        guarded = policy is not None and not policy.is_public
        if guarded:
            statuses[family.status_of(Unauthorized("-"))] = "No valid credential for this route"
            statuses.setdefault(family.status_of(UnknownCredential("-")), "The credential matches nothing")
            statuses[403] = "The credential may not do this"
        if "{" in path:
            statuses.setdefault(404, "Nothing exists at this path")
        for kind in self.route_errors.get(f"{method.upper()} {path}", ()):
            description = (kind.__doc__ or kind.code).strip().splitlines()[0]
            statuses.setdefault(family.status_of(kind("-")), description)
        if guarded:  # every credential is looked up in the table, which may be throttled
            statuses.setdefault(503, (Retryable.__doc__ or "").strip())
        if guarded and method in ("post", "put", "patch", "delete"):
            statuses.setdefault(429, (TooManyRequests.__doc__ or "").strip())
        if method in ("post", "put", "patch", "delete"):
            statuses[413] = "The body is larger than the limit"
            statuses[415] = "The body is not JSON"
        statuses[500] = "Unexpected error"
        return statuses

    # exception handlers (inside the resolver)

    def _render(self, error: QuestlineError) -> Response[Any]:
        status, body = self.family.render(error)
        return Response(
            status_code=status,
            content_type=content_types.APPLICATION_JSON,
            body=body,
            headers=_error_headers(error) or None,
        )

    def _domain_error(self, error: QuestlineError) -> Response[Any]:
        if error.status >= 500:
            logger.error("request failed", extra={"error": error.code})
        return self._render(error)

    def _validation_error(self, error: RequestValidationError) -> Response[Any]:
        return self._render(validation_error(list(error.errors())))

    def _unsupported_content(self, error: RequestUnsupportedContentType) -> Response[Any]:
        return self._render(UnsupportedMediaType("send the body as application/json", field="body"))

    def _unexpected_error(self, error: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return self._render(QuestlineError("internal error; the request id is in the logs"))
