"""What a torn transaction would leave in the store: a claim without its report or its photos, which
a killed process, a full disk or a read-only database must never leave."""

from __future__ import annotations

from sqlalchemy import text

from evidence_check.store import Store


def half_written(store: Store) -> int:
    """Claims without a report or without a photo: what a torn transaction would leave."""
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM claims c WHERE NOT EXISTS "
                    "(SELECT 1 FROM reports r WHERE r.claim_pk = c.id) "
                    "OR NOT EXISTS (SELECT 1 FROM photos p WHERE p.claim_pk = c.id)"
                )
            ).scalar_one()
        )
