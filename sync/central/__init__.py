"""The central side for the OMS and the people at the centre: projections kept from the sink's events,
an HTTP API (OpenAPI), webhooks (CloudEvents over HTTP, Standard Webhooks signatures), the fleet console,
and config and commands sent down. PostgreSQL for a real deployment; SQLite as the embedded default."""
