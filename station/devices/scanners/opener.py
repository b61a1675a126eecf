"""``open_scanner(uri)``: the reader for a scanner URI, chosen by its scheme."""

from __future__ import annotations

from collections.abc import Callable

from station.core.errors import DeviceError, UnknownDeviceURI
from station.devices.scanners import replay, serial_reader, stdin_reader, wedge
from station.devices.scanners.base import ScannerReader
from station.devices.scanners.uri import parse_scanner_uri


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


def check_scanner_uri(uri: str) -> None:
    """Raise what :func:`open_scanner` would for a malformed ``uri``, reading no file or device.

    A device path (serial, evdev) must be absolute: the station runs as a service, from any folder.
    """
    scheme = uri.partition(":")[0].lower()
    if scheme == "replay":  # opening it reads the script; only its URI is checked here
        parse_scanner_uri(uri, replay.FORM, (), needs_path=True)
        return
    path = getattr(open_scanner(uri), "path", None)
    if isinstance(path, str) and not path.startswith("/"):
        raise DeviceError(
            f"Scanner URI {uri!r}: the device path {path!r} is relative; expected an absolute one."
        )
