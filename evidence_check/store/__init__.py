"""Where claims, photos' fingerprints and reports are kept: SQLite by default, PostgreSQL for servers."""

from evidence_check.store.database import RequestConflict, Store, StoreError, claim_request_key, request_key

__all__ = ["RequestConflict", "Store", "StoreError", "claim_request_key", "request_key"]
