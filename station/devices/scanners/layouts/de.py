"""German (QWERTZ). Dead keys (^ and ´) type their character at once: a scanner sends no second key."""

from evdev import ecodes as e

from station.devices.scanners.keymap import Layout, letters

LAYOUT = Layout(
    name="de",
    keys={
        **letters("qwertzuiop", "QWERTYUIOP"),
        **letters("asdfghjkl", "ASDFGHJKL"),
        **letters("yxcvbnm", "ZXCVBNM"),
        e.KEY_LEFTBRACE: ("ü", "Ü"),
        e.KEY_SEMICOLON: ("ö", "Ö"),
        e.KEY_APOSTROPHE: ("ä", "Ä"),
        e.KEY_1: ("1", "!"),
        e.KEY_2: ("2", '"'),
        e.KEY_3: ("3", "§"),
        e.KEY_4: ("4", "$"),
        e.KEY_5: ("5", "%"),
        e.KEY_6: ("6", "&"),
        e.KEY_7: ("7", "/"),
        e.KEY_8: ("8", "("),
        e.KEY_9: ("9", ")"),
        e.KEY_0: ("0", "="),
        e.KEY_MINUS: ("ß", "?"),
        e.KEY_EQUAL: ("´", "`"),
        e.KEY_RIGHTBRACE: ("+", "*"),
        e.KEY_BACKSLASH: ("#", "'"),
        e.KEY_GRAVE: ("^", "°"),
        e.KEY_102ND: ("<", ">"),
        e.KEY_COMMA: (",", ";"),
        e.KEY_DOT: (".", ":"),
        e.KEY_SLASH: ("-", "_"),
        e.KEY_SPACE: (" ", " "),
        e.KEY_TAB: ("\t", "\t"),
    },
    altgr={
        e.KEY_Q: "@",
        e.KEY_E: "€",
        e.KEY_2: "²",
        e.KEY_3: "³",
        e.KEY_7: "{",
        e.KEY_8: "[",
        e.KEY_9: "]",
        e.KEY_0: "}",
        e.KEY_MINUS: "\\",
        e.KEY_RIGHTBRACE: "~",
        e.KEY_102ND: "|",
        e.KEY_M: "µ",
    },
)
