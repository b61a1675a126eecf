"""Hub station: the app on the Raspberry Pi at a return hub."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hubstation")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
