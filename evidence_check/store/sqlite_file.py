"""Which file a SQLite store URL names: the one home of that answer, for every path derived from it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import URL
from sqlalchemy.util import asbool


def sqlite_file(url: URL) -> Path | None:
    """The file SQLite opens for this URL, absolute; None: not SQLite, or a database in memory.

    With `uri=true` the database is a SQLite URI (`file:/abs/s.db`, `file:rel.db`,
    `file:///abs/s.db`, `%20` for a space) whose query (`mode=ro`) is not part of the path: taken
    as a plain path, `file:/abs/s.db` named a folder `file:` in the working directory. A plain path
    may start with `~`, which SQLite does not expand; `Store` hands SQLite the expanded one.
    """
    if url.get_backend_name() != "sqlite":
        return None
    name = url.database or ""
    uri = url.query.get("uri")
    if isinstance(uri, str) and asbool(uri) and name.startswith("file:"):
        if url.query.get("mode") == "memory":
            return None
        path = name.removeprefix("file:").split("#", 1)[0]
        if path.startswith("//"):  # an authority, empty or `localhost`, then an absolute path
            path = "/" + path[2:].partition("/")[2]
        name = unquote(path)
        if name in ("", ":memory:"):
            return None
        return Path(name).resolve()
    if name in ("", ":memory:"):
        return None
    return Path(name).expanduser().resolve()


def opened_read_only(url: URL) -> bool:
    """A SQLite URI that opens its file read-only (`mode=ro`, `immutable=1`): nothing can be recorded."""
    uri, mode, immutable = (url.query.get(key) for key in ("uri", "mode", "immutable"))
    if not (isinstance(uri, str) and asbool(uri) and (url.database or "").startswith("file:")):
        return False
    return mode == "ro" or (isinstance(immutable, str) and asbool(immutable))
