"""Several processes on one store: they may start together, and each sees what the others record."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, inspect

from evidence_check.store import Store


@pytest.mark.new_database
def test_processes_opening_a_new_database_at_once_all_migrate(store_url: str) -> None:
    # A database already migrated (the template's copy, without the mark) would test no migration at all.
    empty = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        assert inspect(empty).get_table_names() == []
    finally:
        empty.dispose()
    # Processes, not threads: Alembic keeps its context in module globals.
    code = "import sys; from evidence_check.store import Store; Store(sys.argv[1]).close()"
    started = [
        subprocess.Popen([sys.executable, "-c", code, store_url], stderr=subprocess.PIPE) for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in started]
    assert [p.returncode for p in started] == [0] * 4, errors
    opened = Store(store_url)
    assert opened.latest_report("default", "none") is None
    opened.close()
