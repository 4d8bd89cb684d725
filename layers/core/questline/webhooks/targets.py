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
MAX_URI_LENGTH = 2048

# Our own rules, not the interpreter's `is_private`/`is_global` flags: those changed between Python 3.11
# and 3.13 (3.11 calls 2002:a9fe:a9fe::1, the 6to4 wrapping of 169.254.169.254, public), and what a webhook
# may reach must not depend on the runtime's version. `address in network` compares integers, which every
# version does alike. Sources: the IANA IPv4 and IPv6 special-purpose address registries, RFC 6052 (NAT64),
# RFC 3056 (6to4), RFC 4380 (Teredo), RFC 9637 (3fff::/20), and the clouds' documented metadata addresses.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # EC2 instance metadata (and GCP, Azure, Oracle)
        "169.254.170.2",  # ECS task metadata
        "169.254.169.253",  # the Amazon-provided DNS resolver
        "169.254.169.123",  # the Amazon Time Sync service
        "fd00:ec2::254",  # EC2 instance metadata over IPv6
        "fd00:ec2::253",
        "fd00:ec2::23",  # Amazon-provided DNS over IPv6
        "fd00:ec2::123",
        "168.63.129.16",  # Azure's host address (in public space)
        "100.100.100.200",  # Alibaba Cloud instance metadata
    )
)
_PRIVATE = "a private address"
_PRIVATE_OR_RESERVED = "a private or reserved address"
_V4_RULES = tuple(
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("0.0.0.0/8", _PRIVATE_OR_RESERVED),  # "this network"
        ("10.0.0.0/8", _PRIVATE),
        ("100.64.0.0/10", _PRIVATE),  # shared address space (carrier-grade NAT)
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", _PRIVATE),
        ("192.0.0.0/24", _PRIVATE_OR_RESERVED),  # IETF protocol assignments
        ("192.0.2.0/24", "a non-public (documentation) address"),
        ("192.88.99.0/24", "a non-public (reserved) address"),  # the retired 6to4 relay anycast
        ("192.168.0.0/16", _PRIVATE),
        ("198.18.0.0/15", _PRIVATE_OR_RESERVED),  # benchmarking
        ("198.51.100.0/24", "a non-public (documentation) address"),
        ("203.0.113.0/24", "a non-public (documentation) address"),
        ("224.0.0.0/4", "a non-public (multicast) address"),
        ("240.0.0.0/4", _PRIVATE_OR_RESERVED),  # reserved, and the limited broadcast address
    )
)
_V6_RULES = tuple(
    (ipaddress.ip_network(network), reason)
    for network, reason in (
        ("::1/128", "a loopback address"),
        ("::/128", "a non-public (unspecified) address"),
        ("64:ff9b:1::/48", _PRIVATE),  # local-use NAT64 (RFC 8215)
        ("100::/64", "a non-public (reserved) address"),  # discard-only
        ("2001::/32", "a non-public (Teredo tunnel) address"),  # its IPv4 endpoints are hidden in it
        ("2001:db8::/32", "a non-public (documentation) address"),
        ("2001::/23", "a non-public (reserved) address"),  # IETF protocol assignments
        ("3fff::/20", "a non-public (documentation) address"),
        ("fc00::/7", _PRIVATE),  # unique local addresses
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", _PRIVATE),  # site-local, deprecated
        ("ff00::/8", "a non-public (multicast) address"),
    )
)
_V4_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_V4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765
_V4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated (RFC 4291)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")


class Target(NamedTuple):
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str  # the checked address a delivery connects to


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, translated, compatible, NAT64, 6to4), if any."""
    value = int(address)
    if address in _V4_MAPPED or address in _V4_TRANSLATED or address in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address in _SIX_TO_FOUR:
        return ipaddress.IPv4Address((value >> 80) & 0xFFFFFFFF)
    if address in _V4_COMPATIBLE and value > 1:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, allow_loopback: bool) -> str | None:
    """Why a webhook may not reach `address` (None: it may)."""
    if address in _METADATA:
        return "a cloud metadata address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal(embedded, allow_loopback)
            if inner is None and address in _V4_COMPATIBLE:
                return "a non-public (deprecated IPv4-compatible) address"
            return inner
        rules: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = _V6_RULES
    else:
        rules = _V4_RULES
    for network, reason in rules:
        if address in network:
            return None if allow_loopback and reason == "a loopback address" else reason
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST:
        return "a non-public (reserved) address"
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
    loopback_name = host.lower() == "localhost" or (
        literal is not None and refusal(literal, allow_loopback=False) == "a loopback address"
    )
    if scheme != "https" and not (scheme == "http" and allow_loopback and loopback_name):
        raise BadRequest(f"{field} must use https", field=field)
    port = port or (443 if scheme == "https" else 80)
    addresses = [literal] if literal is not None else _lookup(host, port, field)
    for address in addresses:
        reason = refusal(address, allow_loopback)
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
