"""The station's one exception tree.

Every error the station raises on purpose is a :class:`StationError`. Its message is one sentence a person
can act on: what was expected, what came, and what to do. The CLI shows ``str(error)``; the screen shows
the sentence in its language from the error's template and values.
"""

from __future__ import annotations


class StationError(Exception):
    """Base of every error the station raises on purpose.

    ``StationError("{lpn} is already in {bin}: ...", lpn=..., bin=...)`` keeps the English sentence's
    template and its values apart, so a screen can show it in another language (the template is the
    catalog's message id); ``str(error)`` is the English sentence.
    """

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template = message
        self.params = params
        super().__init__(message.format(**params) if params else message)


class ConfigError(StationError):
    """The configuration file is missing a key, has a wrong value, or cannot be read."""

    def __init__(self, source: str, key: str, expected: str, found: object) -> None:
        self.source = source
        self.key = key
        self.expected = expected
        self.found = found
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: expected {expected}, found {found!r}")


class ScanRejected(StationError):
    """A scan that is none of the codes the station understands.

    ``looked_like`` describes the raw scan, ``expected`` what would have been accepted.
    """

    def __init__(self, raw: str, looked_like: str, expected: str) -> None:
        self.raw = raw
        self.looked_like = looked_like
        self.expected = expected
        super().__init__(f"Scan {raw!r} looked like {looked_like}; expected {expected}.")


class FlowError(StationError):
    """An input that does not fit the current step of a flow (the message says what to do instead)."""


class NeedsOverride(FlowError):
    """The step is allowed only with a supervisor's override (blind receipt, refund above cap...)."""


class StoreError(StationError):
    """The station database could not do what was asked."""


class DiskFull(StoreError):
    """The disk under the station database is full; nothing was committed."""


class DatabaseCorrupt(StoreError):
    """The station database failed its integrity check."""


class DatabaseUnusable(StoreError):
    """The station database is healthy or unknown but cannot be used now (permissions, space, a lost -wal,
    an I/O error, an empty file); it is never moved aside for this."""


class DataDirBusy(StoreError):
    """Another process (a station, a loader) holds the data folder's lock."""


class DeviceError(StationError):
    """A scanner or printer could not be opened, read or written."""


class UnknownDeviceURI(DeviceError):
    """A device URI with a scheme no backend handles."""

    def __init__(self, uri: str, expected: str) -> None:
        self.uri = uri
        super().__init__(f"Device {uri!r} has no backend; expected one of {expected}.")
