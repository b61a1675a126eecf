"""One MQTT 5 connection with its own thread and reconnect loop (exponential backoff with jitter).

paho's network loop runs in our thread (``client.loop()``), so every callback and every "ticker" (the
uplink pump, the receiver's commit) runs on that one thread: no locks around the clients' databases. A
broker that refuses who we are (bad certificate, not authorized) stops the loop with the reason kept in
:attr:`Connection.error`; anything else is retried. Every callback is wrapped so an exception is logged
and can never kill the thread.
"""

from __future__ import annotations

import functools
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sync.protocol import FatalConnectionError
from sync.settings import BrokerAddress, TlsFiles

log = logging.getLogger(__name__)

#: CONNACK reason codes that retrying cannot fix (MQTT 5: 0x84-0x8C, 0x8A banned, 0x95 packet too large).
_FATAL_CONNACK = {0x84, 0x85, 0x86, 0x87, 0x88, 0x8A, 0x8C}
Handler = Callable[[mqtt.MQTTMessage], None]
F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """Log and swallow any exception, so a bug in a callback cannot kill the network thread."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.exception("sync: %s failed; the connection goes on", getattr(fn, "__qualname__", fn))
            return None

    return wrapper  # type: ignore[return-value]


def backoff_delay(attempt: int, low: float, high: float) -> float:
    """Exponential backoff with jitter: between half and all of ``min(high, low * 2**attempt)``."""
    ceiling = min(high, low * 2 ** min(attempt, 30))
    return random.uniform(ceiling / 2, ceiling)


def _identity_advice(detail: str) -> str:
    if "CERTIFICATE_REQUIRED" in detail.upper():
        return (
            f"The broker requires a client certificate and none was sent ({detail}): set the certificate "
            "and key of this client in the broker settings."
        )
    return (
        f"The broker refused this client's certificate ({detail}): install a certificate signed by the "
        "broker's CA (deploy/pki/pki.sh)."
    )


def _is_identity_error(text: str) -> bool:
    upper = text.upper()
    return "SSL" in upper and ("ALERT" in upper or "CERTIFICATE" in upper or "VERIFY" in upper)


@dataclass(frozen=True)
class Options:
    address: BrokerAddress
    client_id: str
    tls: TlsFiles = field(default_factory=TlsFiles)
    keepalive: int = 30
    session_expiry_s: int = 86_400
    backoff_min_s: float = 0.5
    backoff_max_s: float = 4.0  # the cap keeps a client back within seconds of the broker's return
    manual_ack: bool = False
    will: tuple[str, bytes] | None = None  # retained, QoS 1
    max_inflight: int = 100
    tick_s: float = 0.02


class Connection:
    """A persistent-session MQTT 5 client (clean start off, session expiry set) on its own thread."""

    def __init__(self, options: Options, name: str = "sync") -> None:
        self.options = options
        self.name = name
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=options.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=options.manual_ack,
            reconnect_on_failure=False,
        )
        self.client.max_inflight_messages_set(options.max_inflight)
        self.client.max_queued_messages_set(0)
        if options.address.tls:
            options.tls.check()
            self.client.tls_set(
                ca_certs=str(options.tls.ca) if options.tls.ca else None,
                certfile=str(options.tls.cert) if options.tls.cert else None,
                keyfile=str(options.tls.key) if options.tls.key else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        if options.will:
            self.client.will_set(options.will[0], options.will[1], qos=1, retain=True)
        self.client.on_connect = guarded(self._on_connect)
        self.client.on_disconnect = guarded(self._on_disconnect)
        self.client.on_message = guarded(self._on_message)
        self.client.on_log = guarded(self._on_log)
        self.client.on_subscribe = guarded(self._on_subscribe)
        self._subscriptions: list[tuple[str, int, Handler]] = []
        self._on_online: list[Callable[[bool], None]] = []
        self._tickers: list[Callable[[], None]] = []
        self._before_stop: list[Callable[[], None]] = []
        self._on_exit: list[Callable[[], None]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._refused: str | None = None
        self._attempt = 0
        self._subacks = 0
        self._last_socket_error = ""
        self.state = "starting"
        self.error: str | None = None
        self.online_since: float | None = None
        self.offline_since: float | None = time.time()
        #: wall time of the next connection attempt while backing off, else None
        self.next_attempt_at: float | None = None
        self.connects = 0

    # --- wiring (before start) -------------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler, qos: int = 1) -> None:
        """Subscribe at every connect (a lost session is rebuilt); route matching messages to ``handler``."""
        self._subscriptions.append((topic_filter, qos, guarded(handler)))

    def on_online(self, fn: Callable[[bool], None]) -> None:
        """Call ``fn(session_present)`` on the network thread after every successful connect."""
        self._on_online.append(guarded(fn))

    def add_ticker(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the network thread every loop turn (about every ``tick_s``)."""
        self._tickers.append(guarded(fn))

    def before_stop(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the network thread before a clean disconnect (e.g. publish 'offline')."""
        self._before_stop.append(guarded(fn))

    def on_exit(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` on the network thread when the loop ends (stopped, or failed for good)."""
        self._on_exit.append(guarded(fn))

    # --- use ------------------------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.state == "online"

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False, content_type: str | None = None
    ) -> mqtt.MQTTMessageInfo:
        props = None
        if content_type:
            props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
            props.ContentType = content_type
        return self.client.publish(topic, payload, qos=qos, retain=retain, properties=props)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"{self.name}-mqtt", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def subscribed(self) -> bool:
        """Online, and the broker has acknowledged every subscription of this connect."""
        return self.online and self._subacks >= len(self._subscriptions)

    def wait_online(self, timeout: float) -> bool:
        """Wait until online with every subscription in place; False on timeout or a refusal."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.subscribed:
                return True
            if self.state == "failed":
                return False
            time.sleep(0.01)
        return self.subscribed

    # --- the loop -------------------------------------------------------------------------------------

    def run(self) -> None:
        """Connect, loop, reconnect with backoff until stopped or refused for good."""
        while not self._stop.is_set():
            try:
                self._connect()
                self._loop()
            except FatalConnectionError as exc:
                self._fail(str(exc))
                break
            except (OSError, ValueError) as exc:
                if isinstance(exc, ssl.SSLError) and _is_identity_error(str(exc)):
                    self._fail(f"The broker's TLS handshake failed ({exc}): check the certificate files.")
                    break
                self._set_offline(f"cannot reach the broker: {exc}")
            if self._stop.is_set():
                break
            delay = backoff_delay(self._attempt, self.options.backoff_min_s, self.options.backoff_max_s)
            self._attempt += 1
            log.info("sync %s: reconnecting in %.1f s (%s)", self.name, delay, self.error)
            self.next_attempt_at = time.time() + delay
            self._wait_ticking(delay)
            self.next_attempt_at = None
        self._shutdown()
        for fn in self._on_exit:
            fn()

    def _wait_ticking(self, delay: float) -> None:
        """Back off, still ticking (about twice a second) so the state people see stays current."""
        deadline = time.monotonic() + delay
        while not self._stop.is_set():
            for tick in self._tickers:
                tick()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._stop.wait(min(0.5, left))

    def _connect(self) -> None:
        self.state = "connecting"
        self._refused = None
        self._last_socket_error = ""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = self.options.session_expiry_s
        address = self.options.address
        self.client.connect(
            address.host, address.port, self.options.keepalive, clean_start=False, properties=props
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            rc = self.client.loop(timeout=self.options.tick_s)
            if self._refused is not None:
                raise FatalConnectionError(self._refused)
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                detail = self._last_socket_error or mqtt.error_string(rc)
                if _is_identity_error(detail):
                    raise FatalConnectionError(_identity_advice(detail))
                self._set_offline(f"connection lost: {detail}")
                return
            for tick in self._tickers:
                tick()

    def _shutdown(self) -> None:
        if self.online:
            for fn in self._before_stop:
                fn()
            deadline = time.monotonic() + 1.0
            while self.client.want_write() and time.monotonic() < deadline:
                self.client.loop(timeout=0.01)
        self.client.disconnect()
        if self.state != "failed":
            self.state = "stopped"

    def _fail(self, reason: str) -> None:
        log.error("sync %s: stopped: %s", self.name, reason)
        self.state = "failed"
        self.error = reason
        self.offline_since = self.offline_since or time.time()
        try:
            self.client.disconnect()
        except Exception:  # the socket may already be gone
            log.debug("disconnect after failure", exc_info=True)

    def _set_offline(self, reason: str) -> None:
        if self.state == "online":
            self.offline_since = time.time()
        self.state = "offline"
        self.error = reason
        self.online_since = None

    # --- paho callbacks (wrapped by guarded) ----------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            code = reason.value
            text = f"The broker refused the connection: {reason} (code {code})."
            if code in _FATAL_CONNACK:
                self._refused = text + " Check this client's certificate and the broker's ACL."
            else:
                self.error = text
            return
        self._subacks = 0
        for topic_filter, qos, _ in self._subscriptions:
            client.subscribe(topic_filter, qos=qos)
        self.state = "online"
        self.error = None
        self.online_since = time.time()
        self.connects += 1
        self._attempt = 0
        for fn in self._on_online:
            fn(bool(flags.session_present))

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if self.state == "online":
            self._set_offline(f"disconnected: {reason}")

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        for topic_filter, _, handler in self._subscriptions:
            if mqtt.topic_matches_sub(_strip_share(topic_filter), message.topic):
                handler(message)
                return
        log.warning("sync %s: no handler for a message on %s", self.name, message.topic)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        self._subacks += 1

    def _on_log(self, client: mqtt.Client, userdata: Any, level: int, text: str) -> None:
        if level == mqtt.MQTT_LOG_ERR:
            self._last_socket_error = text


def _strip_share(topic_filter: str) -> str:
    """``$share/group/a/b`` -> ``a/b`` (what incoming topics are matched against)."""
    if topic_filter.startswith("$share/"):
        return topic_filter.split("/", 2)[2]
    return topic_filter
