"""The station's SQLite database: the event log (also the outbox), manifests, orders, work orders,
operators, stock, print jobs, and their migrations."""

from station.store.database import StationDB, open_database

__all__ = ["StationDB", "open_database"]
