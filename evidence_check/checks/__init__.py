"""The looks and checks: each module turns measurements of one photo into a `Finding` for a claim.

A check is a plain function ``check(photo, claim, context) -> Finding``. `CHECKS` lists them in
report order; the engine runs every one on every readable photo and isolates their failures.
"""

from __future__ import annotations

from collections.abc import Callable

from evidence_check.checks import integrity, location, relevance, reuse, timestamp
from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding

Check = Callable[[Photo, Claim, CheckContext], Finding]

CHECKS: dict[str, Check] = {
    "timestamp": timestamp.check,
    "reuse": reuse.check,
    "relevance": relevance.check,
    "location": location.check,
    "integrity": integrity.check,
}
