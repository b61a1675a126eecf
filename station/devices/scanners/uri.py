"""Taking a scanner URI apart: scheme, device path and query options, with errors that show the right form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from station.core.errors import DeviceError


@dataclass(frozen=True)
class ScannerURI:
    """``scheme:path?query`` of a scanner; ``form`` is the accepted form, quoted in every error."""

    uri: str
    scheme: str
    path: str
    options: Mapping[str, str]
    form: str

    def error(self, problem: str) -> DeviceError:
        return DeviceError(f"Scanner URI {self.uri!r}: {problem}; expected {self.form}.")

    def option(self, key: str, default: str) -> str:
        return self.options.get(key, default)

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        value = self.option(key, default)
        if value not in allowed:
            raise self.error(f"{key}={value!r} is not one of {', '.join(allowed)}")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        text = self.option(key, str(default))
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low <= value <= high:
            raise self.error(f"{key}={text!r} is not a number from {low:g} to {high:g}")
        return value


def parse_scanner_uri(uri: str, form: str, keys: tuple[str, ...], needs_path: bool) -> ScannerURI:
    """Split ``uri`` (e.g. ``serial:///dev/ttyACM0?baud=9600``) and check its query against ``keys``.

    The path may be written ``scheme:///abs``, ``scheme:/abs`` or ``scheme:relative``; a host part
    (``scheme://dev/ttyACM0``) is refused because it is almost always a missing slash.
    """
    scheme, _, rest = uri.partition(":")
    rest, _, query = rest.partition("?")

    def error(problem: str) -> DeviceError:
        return DeviceError(f"Scanner URI {uri!r}: {problem}; expected {form}.")

    if rest.startswith("//"):
        host, slash, tail = rest[2:].partition("/")
        if host:
            raise error(f"{host!r} reads as a host name (use three slashes for an absolute path)")
        rest = slash + tail
    path = unquote(rest)
    if needs_path and not path:
        raise error("the device path is missing")
    if not needs_path and path:
        raise error(f"a path ({path!r}) is not used here")
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True) if query else []
    except ValueError:
        raise error(f"the query {query!r} is not key=value pairs joined by &") from None
    options: dict[str, str] = {}
    for key, value in pairs:
        if key not in keys:
            accepted = ", ".join(keys) if keys else "no options"
            raise error(f"the option {key!r} is unknown (accepted: {accepted})")
        if key in options:
            raise error(f"the option {key!r} is given twice")
        options[key] = value
    return ScannerURI(uri, scheme, path, options, form)
