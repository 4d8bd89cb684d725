"""Which addresses a webhook may reach is decided by Questline's own table of address ranges, not by the
interpreter's `ipaddress` flags (which changed between Python 3.11 and 3.13: 3.11 calls the 6to4 wrapping
of the metadata address public). The same table of URIs is checked on Python 3.13 (the Lambda runtime) and on
this interpreter, each in a child process where every lookup and connection fails: a literal address needs
neither."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

LAYER = Path(__file__).resolve().parents[2] / "layers" / "core"
PYENV_313 = Path("/root/.pyenv/versions/3.13.0/bin/python3.13")

# (uri, a word the refusal names, or None when the address is public)
CASES: list[tuple[str, str | None]] = [
    # IPv4
    ("https://93.184.216.34/hook", None),
    ("https://8.8.8.8/", None),
    ("https://127.0.0.1/", "loopback"),
    ("https://127.255.0.9/", "loopback"),
    ("https://10.1.2.3/", "private"),
    ("https://172.31.255.255/", "private"),
    ("https://192.168.0.1/", "private"),
    ("https://100.64.0.1/", "private"),  # shared address space (carrier-grade NAT)
    ("https://169.254.169.254/", "metadata"),
    ("https://169.254.170.2/", "metadata"),  # ECS task metadata
    ("https://169.254.169.253/", "metadata"),  # the VPC's DNS resolver
    ("https://168.63.129.16/", "metadata"),  # Azure's host address, public by its range
    ("https://100.100.100.200/", "metadata"),  # Alibaba Cloud's
    ("https://169.254.3.4/", "link-local"),
    ("https://0.0.0.0/", "private"),
    ("https://0.1.2.3/", "private"),
    ("https://192.0.0.170/", "private"),  # IETF protocol assignments (NAT64 discovery)
    ("https://192.0.2.1/", "documentation"),
    ("https://198.51.100.7/", "documentation"),
    ("https://203.0.113.9/", "documentation"),
    ("https://198.18.0.1/", "private"),  # benchmarking
    ("https://192.88.99.1/", "reserved"),  # the retired 6to4 relay anycast
    ("https://224.0.0.251/", "multicast"),
    ("https://239.1.1.1/", "multicast"),
    ("https://240.0.0.1/", "private"),
    ("https://255.255.255.255/", "private"),
    # IPv6, native
    ("https://[2606:4700:4700::1111]/", None),
    ("https://[2a00:1450:4001:82b::200e]/", None),
    ("https://[::1]/", "loopback"),
    ("https://[::]/", "unspecified"),
    ("https://[fe80::1]/", "link-local"),
    ("https://[fec0::1]/", "private"),  # site-local, deprecated
    ("https://[fc00::1]/", "private"),
    ("https://[fd12:3456::1]/", "private"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://[fd00:ec2::23]/", "metadata"),
    ("https://[ff02::1]/", "multicast"),
    ("https://[2001:db8::1]/", "documentation"),
    ("https://[3fff::1]/", "documentation"),
    ("https://[100::1]/", "reserved"),  # discard-only
    ("https://[2001:2::1]/", "reserved"),  # benchmarking, inside the IETF protocol block
    ("https://[4000::1]/", "reserved"),  # outside global unicast 2000::/3
    # IPv6 forms that carry an IPv4 address: judged by that address
    ("https://[::ffff:169.254.169.254]/", "metadata"),
    ("https://[::ffff:10.0.0.1]/", "private"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://[::ffff:93.184.216.34]/", None),
    ("https://[::ffff:0:a9fe:a9fe]/", "metadata"),  # IPv4-translated (RFC 2765)
    ("https://[::a9fe:a9fe]/", "metadata"),  # IPv4-compatible, deprecated
    ("https://[::5db8:d822]/", "IPv4-compatible"),  # even with a public address inside
    ("https://[2002:a9fe:a9fe::1]/", "metadata"),  # 6to4 of 169.254.169.254
    ("https://[2002:0a00:0001::]/", "private"),  # 6to4 of 10.0.0.1
    ("https://[2002:7f00:1::1]/", "loopback"),  # 6to4 of 127.0.0.1
    ("https://[2002:5db8:d822::1]/", None),  # 6to4 of a public address
    ("https://[64:ff9b::a9fe:a9fe]/", "metadata"),  # NAT64 of 169.254.169.254
    ("https://[64:ff9b::10.0.0.1]/", "private"),
    ("https://[64:ff9b::93.184.216.34]/", None),  # what DNS64 answers for a public IPv4 host
    ("https://[64:ff9b:1::a9fe:a9fe]/", "private"),  # local-use NAT64
    ("https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo"),
    ("https://[2001::1]/", "Teredo"),
]


def _check(verdicts: list[str | None]) -> None:
    wrong = []
    for (uri, word), verdict in zip(CASES, verdicts, strict=True):
        if (word is None) != (verdict is None) or (word is not None and word not in str(verdict)):
            wrong.append((uri, word, verdict))
    assert not wrong, wrong


CHILD = """
import json, socket, sys
def refuse(*args, **kwargs):
    raise SystemExit("a lookup or connection was attempted: %r" % (args,))
for name in ("getaddrinfo", "create_connection", "gethostbyname"):
    setattr(socket, name, refuse)
socket.socket.connect = refuse
from questline.errors import BadRequest
from questline.webhooks.targets import resolve_target
verdicts = []
for uri in json.loads(sys.stdin.read()):
    try:
        resolve_target(uri, allow_loopback=False)
    except BadRequest as refused:
        verdicts.append(refused.message)
    else:
        verdicts.append(None)
print(json.dumps([sys.version_info[:2], verdicts]))
"""


def _python_313() -> str:
    found = str(PYENV_313) if PYENV_313.exists() else shutil.which("python3.13")
    assert found, "these checks need python3.13 (the Lambda runtime) on the PATH"
    return found


def _judged_by(executable: str) -> tuple[list[int], list[str | None]]:
    """The verdicts of `executable` on every case, in a child process where any lookup or connection
    fails it."""
    answer = subprocess.run(
        [executable, "-s", "-c", CHILD],
        input=json.dumps([uri for uri, _ in CASES]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={"PYTHONPATH": str(LAYER), "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=str(LAYER),
    )
    version, verdicts = json.loads(answer.stdout)
    return version, verdicts


def test_addresses_are_judged_alike_on_python_3_13_and_here() -> None:
    lambda_version, on_lambda = _judged_by(_python_313())
    _, here = _judged_by(sys.executable)

    assert tuple(lambda_version) == (3, 13)
    _check(on_lambda)
    assert here == on_lambda  # word for word
