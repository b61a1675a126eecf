"""The doctor's broker checks, in the order a connection goes: identity, name, TCP, TLS, then MQTT.

A step that fails ends the checks (the later ones cannot be tried). The broker binds the client id to the
certificate (one certificate, one session), so the identity step checks that the certificate names this
station (``HUB/stations/STATION``). For the same reason an MQTT connect with the station's certificate
*is* the station's session: the MQTT step does not connect while the station is online (its live state
says what the broker did), and otherwise connects without a clean start, never acks what the session
holds (the station gets it all on its next connect) and leaves at once. Plain ``mqtt://`` has no identity:
there the doctor connects with an id of its own.
"""

from __future__ import annotations

import socket
import sqlite3
import ssl
import threading
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
from cryptography import x509
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from station.core.errors import StoreError
from station.field.findings import Check, Status
from station.runtime.config import BrokerSettings, Config
from station.runtime.sync_link import read_status
from sync.protocol import SyncError
from sync.settings import BrokerAddress, SyncSettings, TlsFiles

TIMEOUT = 1.5
_ALERT_WAIT = 0.3  # a broker's TLS alert arrives within a round trip; the station's LAN is far quicker
_CONFIG_FIX = "correct [broker] in the station config"
_CERT_FIX = "make a certificate for this station from the hub's CA: deploy/pki/pki.sh DIR station HUB STATION"


def broker_checks(config: Config, timeout: float = TIMEOUT) -> list[Check]:
    broker = config.broker
    if broker is None:
        return [Check("broker", Status.OK, "no [broker] in the config: the station works offline")]
    try:
        address = BrokerAddress.parse(broker.url)
        tls = TlsFiles(broker.ca, broker.cert, broker.key)
        if address.tls:
            tls.check()
    except SyncError as exc:
        return [Check("broker", Status.FAIL, str(exc), _CONFIG_FIX)]
    checks: list[Check] = []
    if tls.cert is not None:
        checks.append(identity_check(tls.cert, config.hub, config.station))
        if checks[-1].status is Status.FAIL:
            return checks
    for step in (_name, _tcp, _tls):
        check = step(address, tls, broker, timeout)
        if check is not None:
            checks.append(check)
            if check.status is Status.FAIL:
                return checks
    checks.append(_mqtt(address, tls, config, timeout))
    return checks


def identity_check(cert: Path, hub: str, station: str) -> Check:
    """The certificate's CN is the client's identity and client id at the broker: it must name us."""
    expected = f"{hub}/stations/{station}"
    try:
        names = x509.load_pem_x509_certificate(cert.read_bytes()).subject
    except (OSError, ValueError) as exc:
        return Check("broker identity", Status.FAIL, f"cannot read the certificate {cert}: {exc}", _CERT_FIX)
    found = [str(a.value) for a in names.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if found != [expected]:
        return Check(
            "broker identity",
            Status.FAIL,
            f"the certificate {cert.name} is for {', '.join(found) or 'no CN'}, not {expected}: the broker "
            "gives it that identity's session and topics, so this station could not sync",
            _CERT_FIX,
        )
    return Check(
        "broker identity", Status.OK, f"the certificate names {expected} (its client id at the broker)"
    )


def _name(address: BrokerAddress, tls: TlsFiles, broker: BrokerSettings, timeout: float) -> Check:
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return Check(
            "broker name",
            Status.FAIL,
            f"{address.host} does not resolve ({exc.strerror})",
            f"check DNS (resolvectl query {address.host}) or the host in [broker] url",
        )
    return Check("broker name", Status.OK, f"{address.host} is {infos[0][4][0]}")


def _tcp(address: BrokerAddress, tls: TlsFiles, broker: BrokerSettings, timeout: float) -> Check:
    try:
        socket.create_connection((address.host, address.port), timeout=timeout).close()
    except OSError as exc:
        return Check(
            "broker tcp",
            Status.FAIL,
            f"{address.host}:{address.port} does not accept connections ({exc.strerror or exc})",
            "the broker is down or a firewall blocks the port: on the broker host, systemctl status "
            "mosquitto; the station keeps every event and sends it when the broker is back",
        )
    return Check("broker tcp", Status.OK, f"{address.host}:{address.port} accepts connections")


def _tls(address: BrokerAddress, tls: TlsFiles, broker: BrokerSettings, timeout: float) -> Check | None:
    if not address.tls:
        return Check(
            "broker tls", Status.WARN, "plain MQTT: no TLS", "use mqtts:// with ca, cert and key (deploy/pki)"
        )
    context = ssl.create_default_context(cafile=str(tls.ca) if tls.ca else None)
    try:
        if tls.cert is not None and tls.key is not None:
            context.load_cert_chain(str(tls.cert), str(tls.key))
        with (
            socket.create_connection((address.host, address.port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=address.host) as tls_socket,
        ):
            refused = _client_certificate_refused(tls_socket)
    except ssl.SSLCertVerificationError as exc:
        return Check(
            "broker tls",
            Status.FAIL,
            f"the broker's certificate is not trusted ({exc.verify_message})",
            f"copy the broker's ca.crt to {tls.ca} (deploy/pki), and use the host name in its certificate",
        )
    except (ssl.SSLError, OSError) as exc:
        return Check(
            "broker tls",
            Status.FAIL,
            f"TLS handshake failed ({exc})",
            _CERT_FIX,
        )
    if refused:
        return Check(
            "broker tls",
            Status.FAIL,
            f"the broker refused this station's certificate ({refused})",
            _CERT_FIX,
        )
    return Check("broker tls", Status.OK, f"TLS to {address.host} with a trusted certificate")


def _client_certificate_refused(tls_socket: ssl.SSLSocket) -> str:
    """Why the broker refused our certificate, or "" when it kept the connection open.

    With TLS 1.3 the client's handshake ends before the server has checked the client's certificate, so a
    refusal only shows as an alert (or a closed connection) on the first read; a broker that accepts waits
    quietly for MQTT's CONNECT.
    """
    tls_socket.settimeout(_ALERT_WAIT)
    try:
        closed = tls_socket.recv(1) == b""
    except TimeoutError:
        return ""
    except ssl.SSLError as exc:
        return exc.reason or str(exc)
    except OSError as exc:
        return exc.strerror or str(exc)
    return "it closed the connection" if closed else ""


def _station_online(config: Config) -> bool:
    """Whether the running station says it is online (its sync state in the database)."""
    if not config.db_path.exists():
        return False
    try:
        return bool(read_status(config.db_path)["online"])
    except (StoreError, sqlite3.Error):
        return False


def _mqtt(address: BrokerAddress, tls: TlsFiles, config: Config, timeout: float) -> Check:
    bound = address.tls and tls.cert is not None
    if bound and _station_online(config):
        return Check(
            "broker auth", Status.OK, "the station is connected now with this certificate (not disturbed)"
        )
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"doctor-{uuid.uuid4().hex[:12]}",
        protocol=mqtt.MQTTv5,
        manual_ack=True,  # nothing the station's session holds is acked away
    )
    if address.tls:
        client.tls_set(
            ca_certs=str(tls.ca) if tls.ca else None,
            certfile=str(tls.cert) if tls.cert else None,
            keyfile=str(tls.key) if tls.key else None,
        )
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if bound:  # the broker makes this the station's session: keep it as the station keeps it
        props.SessionExpiryInterval = SyncSettings.session_expiry_s
    props.ReceiveMaximum = 1
    answered = threading.Event()
    reason: list[str] = []

    def on_connect(c: mqtt.Client, userdata: object, flags: object, rc: object, props: object) -> None:
        reason.append(str(rc))
        answered.set()

    client.on_connect = on_connect
    try:
        client.connect(address.host, address.port, keepalive=10, clean_start=not bound, properties=props)
        client.loop_start()
        answered.wait(timeout)
    except (OSError, ssl.SSLError) as exc:
        reason.append(str(exc))
    finally:
        client.disconnect()
        client.loop_stop()
    if not reason:
        return Check("broker auth", Status.FAIL, f"no CONNACK within {timeout:g} s", "check the broker's log")
    if reason[0] != "Success":
        return Check(
            "broker auth",
            Status.FAIL,
            f"the broker refused this station: {reason[0]}",
            "check this station's certificate and the broker's ACL (deploy/mosquitto/README.md)",
        )
    return Check("broker auth", Status.OK, "the broker accepts this station")
