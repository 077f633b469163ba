"""How often each check agreed with what agents finally decided: the figures behind `stats`.

For every claim with an outcome (genuine or fraud) and a report, each check is counted once at
its most serious status over the claim's photos (fail > error > warn > unknown > pass), and the
verdict once. For a (check, status) pair:

- ``precision``: of the claims where it said this, the share that turned out fraud — what a
  ``warn``/``fail`` is worth; for ``pass`` it is the share that was fraud anyway (should be low);
- ``false-positive rate``: of all genuine claims, the share where it said this — for ``warn`` and
  ``fail`` the genuine customers it troubled;
- ``agreed``: the share of its claims whose outcome matches what the status means (``warn``,
  ``fail``, ``reject`` mean fraud; ``pass``, ``accept`` mean genuine); ``unknown``, ``error`` and
  ``review`` make no claim either way and show no agreement.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_SEVERITY = {"fail": 0, "error": 1, "warn": 2, "unknown": 3, "pass": 4}
_MEANS_FRAUD = {"warn", "fail", "reject"}
_MEANS_GENUINE = {"pass", "accept"}


@dataclass(frozen=True)
class Row:
    check: str
    status: str
    claims: int
    fraud: int
    genuine: int
    all_genuine: int

    @property
    def precision(self) -> float | None:
        return self.fraud / self.claims if self.claims else None

    @property
    def false_positive_rate(self) -> float | None:
        return self.genuine / self.all_genuine if self.all_genuine else None

    @property
    def agreed(self) -> float | None:
        if self.status in _MEANS_FRAUD:
            return self.fraud / self.claims if self.claims else None
        if self.status in _MEANS_GENUINE:
            return self.genuine / self.claims if self.claims else None
        return None


def claim_statuses(report: dict[str, Any]) -> dict[str, str]:
    """check name -> its most serious status over the claim's readable photos, plus the verdict."""
    worst: dict[str, str] = {}
    for image in report.get("images", []):
        for name, finding in (image.get("checks") or {}).items():
            status = str(finding.get("status"))
            if name not in worst or _SEVERITY.get(status, 9) < _SEVERITY.get(worst[name], 9):
                worst[name] = status
    worst["verdict"] = str(report.get("verdict"))
    return worst


def table(decided: Iterable[tuple[str, dict[str, Any]]]) -> list[Row]:
    """Rows for (decision, report) pairs, ordered by check then status."""
    counts: dict[tuple[str, str], list[int]] = {}
    all_genuine = 0
    for decision, report in decided:
        all_genuine += decision == "genuine"
        for check, status in claim_statuses(report).items():
            fraud_genuine = counts.setdefault((check, status), [0, 0])
            fraud_genuine[0 if decision == "fraud" else 1] += 1
    order = {"verdict": 99}
    rows = [
        Row(check, status, fraud + genuine, fraud, genuine, all_genuine)
        for (check, status), (fraud, genuine) in counts.items()
    ]
    return sorted(rows, key=lambda r: (order.get(r.check, 0), r.check, _SEVERITY.get(r.status, 5)))
