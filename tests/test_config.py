"""Configuration: a valid file, each kind of mistake named by file and key, and the embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core.disposition import Disposition
from station.core.errors import ConfigError
from station.core.scans import ScanKind
from station.runtime.config import Config, load_config, parse_config

EXAMPLE = """
hub = "ams-1"
station = "counter-2"
roles = ["intake", "restock"]
scanners = ["serial:///dev/hub/scanner-1?baud=9600", "wedge:"]
printer = "tcp://10.0.0.5:9100"
data_dir = "{data}"

[broker]
url = "mqtts://broker.hub.example:8883"
ca = "/etc/hubstation/ca.pem"
cert = "/etc/hubstation/station.pem"
key = "/etc/hubstation/station.key"

[label]
size = "4x2"
dpi = 300

[codes]
rma = "R(?P<code>\\\\d{{8}})"

[[disposition.rules]]
name = "everything to the DC"
disposition = "return_to_dc"
"""


def test_full_example(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(EXAMPLE.format(data=tmp_path / "data"))
    config = load_config(path)
    assert (config.hub, config.station, config.roles) == ("ams-1", "counter-2", ("intake", "restock"))
    assert config.scanners[1] == "wedge:"
    assert config.broker is not None and config.broker.cert == Path("/etc/hubstation/station.pem")
    assert (config.label_size, config.label_dpi) == ("4x2", 300)
    assert config.codes.match("R12345678") == (ScanKind.RMA, "12345678", {"code": "12345678"})
    assert config.rules[0].disposition is Disposition.RETURN_TO_DC
    assert config.db_path == tmp_path / "data" / "station.db"


@pytest.mark.parametrize(
    ("text", "key", "found"),
    [
        ("hub = 5", "hub", "5"),
        ('hub = "a b"', "hub", "'a b'"),
        ('roles = ["intake", "cook"]', "roles", "'cook'"),
        ('scanners = "serial:///dev/x"', "scanners", "'serial:///dev/x'"),
        ('printer = "lp0"', "printer", "'lp0'"),
        ("[label]\ndpi = 600", "label.dpi", "600"),
        ('[label]\nsize = "A4"', "label.size", "'A4'"),
        ('[broker]\nurl = "http://x"', "broker.url", "'http://x'"),
        ('[codes]\nrma = "("', "codes.rma", "'('"),
        ('[codes]\nfoo = "x"', "codes.foo", "'foo'"),
        ('[[disposition.rules]]\ndisposition = "burn"', "disposition.rules[0].disposition", "'burn'"),
        (
            '[[disposition.rules]]\ndisposition = "repair"\ngrades = ["Z"]',
            "disposition.rules[0].grades",
            "['Z']",
        ),
        ('colour = "red"', "colour", "'colour'"),
        ("idle_signout_minutes = -1", "idle_signout_minutes", "-1"),
        ('idle_signout_minutes = "soon"', "idle_signout_minutes", "'soon'"),
        ("idle_signout_minutes = nan", "idle_signout_minutes", "nan"),
        ("idle_signout_minutes = inf", "idle_signout_minutes", "inf"),
        # unknown keys in every table, and tables of the wrong kind
        ('[label]\ncolour = "red"', "label.colour", "'colour'"),
        ('[broker]\nurl = "mqtt://x"\nport = 1883', "broker.port", "'port'"),
        ("[disposition]\nrule = []", "disposition.rule", "'rule'"),
        (
            '[[disposition.rules]]\ndisposition = "repair"\ngrade = ["A"]',
            "disposition.rules[0].grade",
            "'grade'",
        ),
        ('label = "4x6"', "label", "'4x6'"),
        ("broker = 5", "broker", "5"),
        ('[broker]\nurl = "mqtt://x"\nprune_days = 0', "broker.prune_days", "0"),
        ('[broker]\nurl = "mqtt://x"\ntopic_prefix = "hubs/#"', "broker.topic_prefix", "'hubs/#'"),
        # relative or empty paths
        ('data_dir = ""', "data_dir", "''"),
        ('data_dir = "data"', "data_dir", "'data'"),
        ('[broker]\nurl = "mqtt://x"\nca = "ca.pem"', "broker.ca", "'ca.pem'"),
        ('[broker]\nurl = "mqtt://x"\ncert = ""', "broker.cert", "''"),
        # scanner and printer URIs, through the device parsers
        ('scanners = ["serial:///dev/x?bod=9600"]', "scanners[0]", "'serial:///dev/x?bod=9600'"),
        (
            'scanners = ["stdin:", "serial:///dev/x?terminator=tab"]',
            "scanners[1]",
            "'serial:///dev/x?terminator=tab'",
        ),
        ('scanners = ["serial:dev/ttyACM0"]', "scanners[0]", "'serial:dev/ttyACM0'"),
        ('scanners = ["serial://dev/ttyACM0"]', "scanners[0]", "'serial://dev/ttyACM0'"),
        ('scanners = ["usb:///dev/x"]', "scanners[0]", "'usb:///dev/x'"),
        ('scanners = ["evdev:///dev/input/x?layout=xx"]', "scanners[0]", "'evdev:///dev/input/x?layout=xx'"),
        ('printer = "tcp://10.0.0.5:99999"', "printer", "'tcp://10.0.0.5:99999'"),
        ('printer = "ftp://10.0.0.5"', "printer", "'ftp://10.0.0.5'"),
        ('printer = "file:spool"', "printer", "'file:spool'"),
    ],
)
def test_errors_name_file_key_expected_and_found(tmp_path: Path, text: str, key: str, found: str) -> None:
    path = tmp_path / "station.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}: expected ")
    assert message.endswith(f"found {found}")


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text("hub = ")
    with pytest.raises(ConfigError, match="expected valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_no_file_means_embedded_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("STATION_CONFIG", raising=False)
    monkeypatch.setattr("station.runtime.config.SYSTEM_CONFIG", tmp_path / "none.toml")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    config = load_config()
    assert config == Config(data_dir=config.data_dir)
    assert config.source == "embedded defaults"
    assert config.scanners == ("stdin:",) and config.broker is None
    assert config.printer_uri.startswith("file://")


def test_env_var_picks_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('station = "from-env"')
    monkeypatch.setenv("STATION_CONFIG", str(path))
    assert load_config().station == "from-env"


def test_a_replay_scanner_is_checked_by_its_uri_not_its_file(tmp_path: Path) -> None:
    path = tmp_path / "station.toml"
    path.write_text(f'scanners = ["replay:{tmp_path}/later.scans"]\ndata_dir = "~/station"')
    config = load_config(path)
    assert config.data_dir == Path("~/station").expanduser()
    path.write_text('scanners = ["replay:"]')
    with pytest.raises(
        ConfigError, match=r"scanners\[0\]: expected a scanner URI \(.*the device path is missing"
    ):
        load_config(path)


_TOML_VALUES = st.recursive(
    st.none().map(lambda _: "")
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["/abs/path", "rel/path", "serial:///dev/x", "tcp://h:9100", "mqtt://h", "A", "4x6"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "hub",
        "station",
        "roles",
        "scanners",
        "printer",
        "data_dir",
        "idle_signout_minutes",
        "label",
        "broker",
        "codes",
        "disposition",
        "other",
    ]
)
_TABLES = {
    "label": st.dictionaries(st.sampled_from(["size", "dpi", "x"]), _TOML_VALUES, max_size=2),
    "broker": st.dictionaries(
        st.sampled_from(["url", "ca", "cert", "key", "topic_prefix", "prune_days", "x"]),
        _TOML_VALUES,
        max_size=3,
    ),
    "disposition": st.fixed_dictionaries(
        {"rules": st.lists(st.dictionaries(st.text(max_size=8), _TOML_VALUES))}
    ),
}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzzed_configs_parse_or_name_file_and_key(data: st.DataObject) -> None:
    raw: dict[str, Any] = {}
    for key in data.draw(st.lists(_KEYS, max_size=5, unique=True)):
        raw[key] = data.draw(_TABLES.get(key, _TOML_VALUES))
    try:
        config = parse_config(raw, "fuzz.toml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.toml")
    else:
        assert config.data_dir.is_absolute() and 0 <= config.idle_signout_minutes < float("inf")
