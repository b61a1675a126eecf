"""The keyboard layouts a scanner can emulate, by the name used in ``evdev:...?layout=``."""

from collections.abc import Mapping

from station.devices.scanners.keymap import Layout
from station.devices.scanners.layouts import de, us

LAYOUTS: Mapping[str, Layout] = {layout.name: layout for layout in (us.LAYOUT, de.LAYOUT)}
