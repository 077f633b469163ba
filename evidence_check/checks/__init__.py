"""The looks and checks: each module turns measurements of one photo into a `Finding` for a claim.

A check is a plain function ``check(photo, claim, context) -> Finding``. `registry` names them,
orders them and says what an agent calls them; `CHECKS` are those the engine runs on every
readable photo, each isolated from the others' failures.
"""

from evidence_check.checks.registry import CHECKS, Check

__all__ = ["CHECKS", "Check"]
