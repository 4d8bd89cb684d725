"""Where a webhook may point. URIs must be https and must not resolve to private, loopback, link-local,
multicast, reserved or cloud-metadata addresses (server-side request forgery). Local development may allow
loopback (and plain http to it) with `ALLOW_LOOPBACK_WEBHOOKS`.

The addresses are checked when a hook is registered and again at each delivery, and a delivery connects
to the address that was checked, so a DNS answer that changes in between cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from questline.errors import BadRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
MAX_URI_LENGTH = 2048


class Target(NamedTuple):
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked address a delivery connects to


def _refused(address: IPAddress, allow_loopback: bool) -> str | None:  # noqa: PLR0911 - one reason each
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _refused(address.ipv4_mapped, allow_loopback)
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_multicast or address.is_reserved or address.is_unspecified or not address.is_global:
        return "a non-public address"
    return None


def resolve_target(uri: str, *, allow_loopback: bool, field: str = "uri") -> Target:
    """Check `uri` and pick the address a delivery will connect to; a 400 naming `field` otherwise."""
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI_LENGTH:
        raise BadRequest(f"{field} must be an https URL of at most {MAX_URI_LENGTH} characters", field=field)
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError as error:
        raise BadRequest(f"{field} is not a valid URL", field=field) from error
    host = parts.hostname
    if not host or parts.username or parts.password:
        raise BadRequest(f"{field} must be an https URL with a host and no credentials", field=field)
    scheme = parts.scheme.lower()
    literal = _literal_address(host)
    loopback_name = host.lower() == "localhost" or (literal is not None and literal.is_loopback)
    if scheme != "https" and not (scheme == "http" and allow_loopback and loopback_name):
        raise BadRequest(f"{field} must use https", field=field)
    port = port or (443 if scheme == "https" else 80)
    addresses = [literal] if literal is not None else _lookup(host, port, field)
    for address in addresses:
        reason = _refused(address, allow_loopback)
        if reason is not None:
            raise BadRequest(f"{field} resolves to {reason}, which webhooks may not reach", field=field)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=scheme, host=host, port=port, path=path, address=str(addresses[0]))


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _lookup(host: str, port: int, field: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise BadRequest(f"{field} has a host name that does not resolve", field=field) from error
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise BadRequest(f"{field} has a host name that does not resolve", field=field)
    return found
