"""Where claims, photos' fingerprints and reports are kept: SQLite by default, PostgreSQL for servers."""

from evidence_check.store.database import Store, StoreError

__all__ = ["Store", "StoreError"]
