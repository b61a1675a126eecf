"""``tcp://host:9100``: raw ZPL over TCP; the same socket answers ``~HS`` and ``~HQES``."""

from __future__ import annotations

import select
import socket

from station.devices.printers.base import ZebraPrinter


class TcpLink:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return b""
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionResetError("the printer closed the connection")
        return data

    def close(self) -> None:
        self.sock.close()


def tcp_printer(uri: str, host: str, port: int, timeout: float = 1.0) -> ZebraPrinter:
    return ZebraPrinter(uri, lambda: TcpLink(host, port, timeout), timeout)
