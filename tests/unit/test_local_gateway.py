"""The local gateway's connection handling, on loopback sockets: a burst of new connections is queued by
the kernel while the gateway is busy, instead of being dropped (and retried a second later, or reset)."""

from __future__ import annotations

import select
import socket
import time

from local.gateway import Gateway, Router

BURST = 64


def _connected(client: socket.socket) -> bool:
    return client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0


def test_a_burst_of_64_new_connections_waits_in_the_queue_and_is_served() -> None:
    gateway = Gateway(Router(), port=0)  # listening, but not accepting yet: the worst moment for a burst
    clients = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(BURST)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", gateway.port))
        pending, deadline = set(clients), time.monotonic() + 10
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.5)
            pending -= {client for client in writable if _connected(client)}
        assert len(clients) - len(pending) == BURST  # each handshake done by the kernel, none dropped

        gateway.start()
        for client in clients:
            client.setblocking(True)
            client.settimeout(30)
            client.sendall(b"GET /nowhere HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")
        answers = [client.recv(64).split(b"\r\n", 1)[0] for client in clients]
        assert answers == [b"HTTP/1.1 404 Not Found"] * BURST
    finally:
        for client in clients:
            client.close()
        if not gateway.thread.is_alive():
            gateway.start()  # stop() waits for the serving loop to end: let it begin first
        gateway.stop()
