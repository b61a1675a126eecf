"""The MQTT contract between stations and the centre, and both of its ends. Never imports ``station``.

Station side: ``uplink`` (the outbox to the broker, with end-to-end acks), ``downlink`` (what the OMS
sends down, validated), ``connection`` (paho lifecycle, reconnect, resubscribe). Central side: ``receiver``
and ``sinks`` (shared subscription, dedup, the durable sink), ``publish`` (messages sent down) and
``central`` (projections, HTTP API, webhooks, the fleet console). ``protocol``, ``schemas/`` and
``asyncapi.yaml`` are the contract itself.
"""
