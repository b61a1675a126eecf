"""Scanner readers, chosen by URI: serial, evdev (keyboard), wedge (typed into the app), stdin, replay."""

from station.devices.scanners.base import RawScan, ScannerReader, ScannerState
from station.devices.scanners.opener import open_scanner
from station.devices.scanners.wedge import WedgeScanner

__all__ = ["RawScan", "ScannerReader", "ScannerState", "WedgeScanner", "open_scanner"]
