"""Where ``serve`` and ``demo`` listen: the socket is bound before any work, so that a taken port
is said plainly and at once, and uvicorn then serves on that very socket."""

from __future__ import annotations

import errno
import socket

from traceapi.errors import InvalidInput, PortInUse

BACKLOG = 2048  # uvicorn's own default
CHOOSE_PORT = "choose another with --port N or TRACEAPI_PORT=N"


def bind_listener(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port``, or an error naming the address and the way out."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise InvalidInput(
            f"cannot listen on {host!r}: {exc.strerror}; "
            "choose another address with --host H or TRACEAPI_HOST=H",
            details={"host": host, "port": port},
        ) from None
    listener = socket.socket(family, kind, proto)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(BACKLOG)
    except OSError as exc:
        listener.close()
        details = {"host": host, "port": port}
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {port} on {host} is taken (another program, perhaps another traceapi, "
                f"listens there): {CHOOSE_PORT}",
                details=details,
            ) from None
        if exc.errno == errno.EACCES:
            raise InvalidInput(
                f"not allowed to listen on port {port} of {host} (ports below 1024 need "
                f"privileges): {CHOOSE_PORT}",
                details=details,
            ) from None
        raise InvalidInput(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another address with "
            "--host H (TRACEAPI_HOST) or --port N (TRACEAPI_PORT)",
            details=details,
        ) from None
    listener.set_inheritable(True)
    return listener
