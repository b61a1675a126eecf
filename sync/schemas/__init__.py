"""JSON Schemas of the sync contract (data files; see sync/protocol.py and sync/asyncapi.yaml)."""
