"""``open_scanner(uri)``: the reader for a scanner URI, chosen by its scheme."""

from __future__ import annotations

from collections.abc import Callable

from station.core.errors import UnknownDeviceURI
from station.devices.scanners import replay, serial_reader, stdin_reader, wedge
from station.devices.scanners.base import ScannerReader


def _evdev(uri: str) -> ScannerReader:
    # Imported here so that the other backends work where python-evdev is missing (it is Linux only).
    from station.devices.scanners.evdev_reader import EvdevScanner

    return EvdevScanner.from_uri(uri)


_BACKENDS: dict[str, Callable[[str], ScannerReader]] = {
    "serial": serial_reader.SerialScanner.from_uri,
    "evdev": _evdev,
    "stdin": stdin_reader.StdinScanner.from_uri,
    "replay": replay.ReplayScanner.from_uri,
    "wedge": wedge.WedgeScanner.from_uri,
}
_FORMS = "; ".join(
    (
        serial_reader.FORM,
        "evdev:///dev/input/by-id/NAME-event-kbd?layout=us|de&gs=ctrl-]|f8&gap=50",
        stdin_reader.FORM,
        replay.FORM,
        wedge.FORM,
    )
)


def open_scanner(uri: str) -> ScannerReader:
    """The reader for ``uri``; raises UnknownDeviceURI for an unknown scheme, DeviceError for a bad URI."""
    scheme, colon, _ = uri.partition(":")
    backend = _BACKENDS.get(scheme.lower()) if colon else None
    if backend is None:
        raise UnknownDeviceURI(uri, _FORMS)
    return backend(uri)
