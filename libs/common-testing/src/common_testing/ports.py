"""Free loopback ports, for the servers a test starts (a stub, an SMTP sink, a second Traefik, a service)."""

from __future__ import annotations

import socket

__all__ = ["FreePorts", "free_ports"]


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports nothing listens on now (all bound at once, so none is picked twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class FreePorts:
    """The ``free_port`` fixture: ``free_port()`` is one free port, ``free_port.several(3)`` three."""

    def __call__(self) -> int:
        return free_ports(1)[0]

    def several(self, count: int) -> list[int]:
        return free_ports(count)
