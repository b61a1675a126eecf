"""US English (QWERTY), the default of most scanners."""

from evdev import ecodes as e

from station.devices.scanners.keymap import Layout, letters

LAYOUT = Layout(
    name="us",
    keys={
        **letters("qwertyuiop", "QWERTYUIOP"),
        **letters("asdfghjkl", "ASDFGHJKL"),
        **letters("zxcvbnm", "ZXCVBNM"),
        e.KEY_1: ("1", "!"),
        e.KEY_2: ("2", "@"),
        e.KEY_3: ("3", "#"),
        e.KEY_4: ("4", "$"),
        e.KEY_5: ("5", "%"),
        e.KEY_6: ("6", "^"),
        e.KEY_7: ("7", "&"),
        e.KEY_8: ("8", "*"),
        e.KEY_9: ("9", "("),
        e.KEY_0: ("0", ")"),
        e.KEY_MINUS: ("-", "_"),
        e.KEY_EQUAL: ("=", "+"),
        e.KEY_LEFTBRACE: ("[", "{"),
        e.KEY_RIGHTBRACE: ("]", "}"),
        e.KEY_BACKSLASH: ("\\", "|"),
        e.KEY_SEMICOLON: (";", ":"),
        e.KEY_APOSTROPHE: ("'", '"'),
        e.KEY_GRAVE: ("`", "~"),
        e.KEY_COMMA: (",", "<"),
        e.KEY_DOT: (".", ">"),
        e.KEY_SLASH: ("/", "?"),
        e.KEY_SPACE: (" ", " "),
        e.KEY_TAB: ("\t", "\t"),
    },
)
