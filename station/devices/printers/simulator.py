"""A Zebra printer simulator on TCP, for tests and the demo (``station printer-sim``).

It accepts ZPL, answers ``~HS``, ``~HQES``, ``~HI`` and the odometer query in the real formats, keeps every
label format it printed (in memory and, with ``directory``, as ``NNNNNN.zpl`` files), and can be put into
paper-out, head-open, ribbon-out or paused (:meth:`PrinterSimulator.set_fault`, or a control file holding the
fault's name). Faults behave as on a real printer: while media is out or the head is open ``~HS`` gets no
answer; labels that arrive during any fault wait in the buffer and print when the fault clears; stopping
the simulator is a power cut: the buffer is lost, the odometer is kept.
"""

from __future__ import annotations

import re
import socket
import socketserver
import threading
from pathlib import Path

from station.devices.printers.base import LABEL_COUNT_QUERY
from station.devices.printers.status import (
    HEAD_OPEN,
    MEDIA_OUT,
    RIBBON_OUT,
    HostStatus,
    PrinterState,
    format_hqes,
    format_hs,
)

FAULTS = (PrinterState.PAPER_OUT, PrinterState.HEAD_OPEN, PrinterState.RIBBON_OUT, PrinterState.PAUSED)
_PQ = re.compile(rb"\^PQ(\d+)")
_GETVAR = re.compile(rb'! U1 getvar "([^"]+)"\r?\n')


class PrinterSimulator:
    """The printer's state; serve it with :meth:`start` (TCP) or feed bytes with :meth:`handle`."""

    def __init__(
        self,
        dpi: int = 203,
        directory: Path | None = None,
        control_file: Path | None = None,
        *,
        odometer_query: bool = True,
    ) -> None:
        self.dpi = dpi
        #: False plays an older printer that does not answer the odometer query.
        self.odometer_query = odometer_query
        self.port = 0
        self.directory = directory
        self.control_file = control_file
        self.labels: list[bytes] = []
        self.fault: PrinterState | None = None
        self.pending: list[bytes] = []
        self.odometer = 0
        #: Labels left on the roll (None: endless); at 0 the printer goes paper-out, as mid-batch.
        self.roll: int | None = None
        self._lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None
        self._stop = threading.Event()
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
            counter = directory / "odometer"
            self.odometer = int(counter.read_text()) if counter.exists() else 0
            self.labels = [p.read_bytes() for p in sorted(directory.glob("*.zpl"))]

    # --- faults -----------------------------------------------------------------------------------------
    def set_fault(self, fault: PrinterState | str | None) -> None:
        """Put the printer into a fault (``paper_out``, ``head_open``, ``ribbon_out``, ``paused``) or clear it
        (None or ``ready``): the labels waiting in the buffer then print."""
        state = None if fault in (None, "", PrinterState.READY) else PrinterState(fault)
        if state is not None and state not in FAULTS:
            raise ValueError(f"fault must be one of {[f.value for f in FAULTS]} or ready, got {fault!r}")
        with self._lock:
            self.fault = state
            if state is None:
                waiting, self.pending = self.pending, []
                for label in waiting:
                    self._print(label)

    def _poll_control_file(self) -> None:
        while not self._stop.wait(0.1):
            if self.control_file is None or not self.control_file.exists():
                continue
            wanted = self.control_file.read_text().strip() or None
            current = self.fault.value if self.fault else None
            if wanted != current and not (wanted == "ready" and current is None):
                self.set_fault(wanted)

    # --- printing ---------------------------------------------------------------------------------------
    @property
    def label_count(self) -> int:
        return self.odometer

    def _print(self, label: bytes) -> None:
        """Keep the label (on disk first, when there is a directory), then count it: whoever sees the
        counter move finds the label there."""
        m = _PQ.search(label)
        copies = int(m.group(1)) if m else 1
        if self.directory is not None:
            (self.directory / f"{len(self.labels) + 1:06d}.zpl").write_bytes(label)
            (self.directory / "odometer").write_text(str(self.odometer + copies))
        self.labels.append(label)
        self.odometer += copies
        if self.roll is not None:
            self.roll = max(0, self.roll - copies)
            if self.roll == 0:
                self.fault, self.roll = PrinterState.PAPER_OUT, None

    def _format(self, label: bytes) -> None:
        with self._lock:
            if self.fault is None:
                self._print(label)
            else:
                self.pending.append(label)

    def _host_status(self) -> bytes:
        f = self.fault
        status = HostStatus(
            paper_out=f is PrinterState.PAPER_OUT,
            paused=f is PrinterState.PAUSED,
            formats_in_buffer=len(self.pending),
            head_up=f is PrinterState.HEAD_OPEN,
            ribbon_out=f is PrinterState.RIBBON_OUT,
            labels_remaining=len(self.pending),
        )
        return format_hs(status, 6 * self.dpi)

    def handle(self, buffer: bytes) -> tuple[bytes, bytes]:
        """Act on the complete commands at the start of ``buffer``: (answer, the unconsumed rest)."""
        out = b""
        while buffer:
            if buffer.startswith(b"~HQES"):
                bits = {
                    PrinterState.PAPER_OUT: MEDIA_OUT,
                    PrinterState.HEAD_OPEN: HEAD_OPEN,
                    PrinterState.RIBBON_OUT: RIBBON_OUT,
                }
                errors = bits.get(self.fault, 0) if self.fault is not None else 0
                out, buffer = out + format_hqes(errors), buffer[5:]
            elif buffer.startswith(b"~HS"):
                if self.fault not in (PrinterState.PAPER_OUT, PrinterState.HEAD_OPEN):
                    out += self._host_status()
                buffer = buffer[3:]
            elif buffer.startswith(b"~HI"):
                dpmm = 8 if self.dpi == 203 else 12
                out, buffer = (
                    out + f"\x02ZD421-{self.dpi}dpi,V84.20.21Z,{dpmm},8192KB\x03\r\n".encode(),
                    buffer[3:],
                )
            elif buffer.startswith(b"^XA"):
                end = buffer.find(b"^XZ")
                if end < 0:
                    break
                self._format(buffer[: end + 3])
                buffer = buffer[end + 3 :]
            elif buffer.startswith(b"!"):
                m = _GETVAR.match(buffer)
                if m is None:
                    if b"\n" in buffer or len(buffer) > len(LABEL_COUNT_QUERY) * 2:
                        buffer = buffer[1:]
                        continue
                    break
                if m.group(1) == b"odometer.total_label_count" and self.odometer_query:
                    out += f'"{self.odometer}"'.encode()
                buffer = buffer[m.end() :]
            elif len(buffer) < 5 and (b"~HQES".startswith(buffer) or b"^XA".startswith(buffer)):
                break  # the rest of a command is still on its way
            else:
                buffer = buffer[1:]
        return out, buffer

    # --- serving ----------------------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve on ``host:port`` in background threads; returns the port."""
        simulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                sock.settimeout(0.2)
                rest = b""
                while not simulator._stop.is_set():
                    try:
                        data = sock.recv(65536)
                    except TimeoutError:
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    answer, rest = simulator.handle(rest + data)
                    if answer:
                        sock.sendall(answer)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._stop.clear()
        self._server = Server((host, port), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        if self.control_file is not None:
            threading.Thread(target=self._poll_control_file, daemon=True).start()
        self.port = int(self._server.server_address[1])
        return self.port

    def stop(self) -> None:
        """Power off: stop serving and lose the labels waiting in the buffer (the odometer stays)."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            self.pending = []
