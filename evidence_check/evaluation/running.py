"""Running the scenarios: every claim through `verify_claim`, the function the CLI's verify and the
API call, and each scenario's goal.

Catalog images and stock photos are registered through the service functions the `catalog add` and
`stock add` commands call, never through the command line itself.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from evidence_check.engine import Upload, now_utc
from evidence_check.evaluation.scenarios import GENUINE, RESPONSIBLE, Case, Scenario, scenarios
from evidence_check.imaging.load import Limits, PhotoError, read_file
from evidence_check.intake import build_claim
from evidence_check.references import add_references
from evidence_check.service import add_to_catalog, limits_from, verify_claim
from evidence_check.settings import Settings
from evidence_check.store import Store, StoreError

TENANT = "default"
# What the scenarios are held to: genuine customers accepted, or at least never rejected; fraud
# never accepted, and caught by the check responsible for it.
GOAL_GENUINE_EXIF_ACCEPT = 0.95
GOAL_GENUINE_NOT_REJECTED = 0.995
GOAL_FRAUD_NOT_ACCEPTED = 0.97
GOAL_RESPONSIBLE_FIRED = 0.95


@dataclass
class CaseResult:
    name: str
    verdict: str
    fired: bool
    codes: list[str]
    crashed: str | None = None
    ms: float = 0.0
    body: dict[str, Any] | None = None  # the report, for re-scoring under other thresholds
    product: str | None = None  # the grocery product shown (`scenarios.Case.product`)

    @property
    def basis(self) -> str:
        """What decided the verdict, e.g. "integrity: integrity.recompressed"."""
        basis = (self.body or {}).get("verdict_basis") or {}
        return f"{basis.get('check') or basis.get('rule', '')}: {basis.get('code') or ''}".strip(": ")


@dataclass
class ScenarioResult:
    name: str
    results: list[CaseResult]
    setup_problems: list[str]
    note: str = ""

    @property
    def counts(self) -> Counter[str]:
        return Counter(r.verdict for r in self.results)

    def share(self, predicate: Callable[[CaseResult], bool]) -> float:
        return sum(1 for r in self.results if predicate(r)) / len(self.results) if self.results else 0.0


def run_scenario(
    scenario: Scenario, folder: Path, settings: Settings, shared: bool = False
) -> ScenarioResult:
    """Every claim of the scenario; each in a store of its own holding only the scenario's catalog
    and stock pictures (and its own earlier claims), unless `shared`: then claims see each other,
    as in a real store — corpus files that are copies of one picture then count as reuse."""
    template = folder / f"{scenario.name}.sqlite3"
    db = f"sqlite:///{template}"
    problems = _register(scenario, db, settings)
    results = []
    if shared:
        store = Store(db)
        try:
            results = [
                _run_case(scenario.name, case, i, store, settings) for i, case in enumerate(scenario.cases)
            ]
        finally:
            store.close()
        return ScenarioResult(scenario.name, results, problems, scenario.note)
    for i, case in enumerate(scenario.cases):
        own = folder / f"{scenario.name}-case.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            source = template.with_name(template.name + suffix)
            target = own.with_name(own.name + suffix)
            if source.exists():
                shutil.copyfile(source, target)
            elif target.exists():
                target.unlink()
        store = Store(f"sqlite:///{own}")
        try:
            results.append(_run_case(scenario.name, case, i, store, settings))
        finally:
            store.close()
    return ScenarioResult(scenario.name, results, problems, scenario.note)


def _register(scenario: Scenario, db: str, settings: Settings) -> list[str]:
    """The scenario's catalog images, stock and review photos in its template store, through the service
    functions `catalog add` and `stock add` call; what could not be registered, one line each.
    The template store exists, migrated, even when there is nothing to register."""
    problems: list[str] = []
    limits = limits_from(settings)
    store = Store(db)
    try:
        for sku, images in scenario.catalog.items():
            try:
                added = add_to_catalog(
                    store,
                    TENANT,
                    sku,
                    [_upload(path, limits) for path in images],
                    name=None,
                    category=None,
                    zones=None,
                    settings=settings,
                    now=now_utc(),
                    brand=scenario.brands.get(sku),
                )
            except (StoreError, ValueError) as exc:
                problems.append(f"catalog add {sku}: {str(exc)[:120]}")
                break
            if not added.stored:
                problems.append(f"catalog add {sku}: no image of {sku} could be used")
                break
        for kind, paths in (("stock", scenario.stock), ("review", scenario.reviews)):
            if not paths:
                continue
            items = [(path.name, *_read(path, limits)) for path in paths]
            try:
                add_references(
                    store,
                    TENANT,
                    kind,
                    ((ref_id, ref_id, data, error) for ref_id, data, error in items),
                    limits,
                    now_utc(),
                    keep_features=settings.reuse_keep_features,
                )
            except StoreError as exc:
                problems.append(f"{kind} add: {str(exc)[:120]}")
    finally:
        store.close()
    return problems


def _read(path: Path, limits: Limits) -> tuple[bytes | None, PhotoError | None]:
    try:
        return read_file(path, limits), None
    except PhotoError as exc:
        return None, exc


def _upload(path: Path, limits: Limits) -> Upload:
    data, error = _read(path, limits)
    return Upload(path.name if data is not None else str(path), data, error)


def _run_case(scenario: str, case: Case, index: int, store: Store, settings: Settings) -> CaseResult:
    now = datetime.now(UTC)
    # The original was sent a week before: "first seen" must come before the copy's claim.
    before = now - timedelta(days=7)
    for claim_id, customer, photos in case.earlier:
        earlier = build_claim(now=before, time_zone="UTC", claim_id=claim_id, customer_id=customer)
        verify_claim(earlier, [Upload(n, d) for n, d in photos], settings=settings, store=store, now=before)
    timeline: dict[str, str] = {}
    if case.taken is not None:
        anchor = case.taken + (timedelta(days=30) if case.old else timedelta(0))
        timeline = {
            "ordered_at": (anchor - timedelta(days=5)).isoformat(),
            "shipped_at": (anchor - timedelta(days=3)).isoformat(),
            "delivered_at": (anchor - timedelta(days=1)).isoformat(),
            "claimed_at": (anchor + timedelta(days=2 if not case.old else 5)).isoformat(),
        }
    else:
        timeline = {
            "ordered_at": (now - timedelta(days=6)).isoformat(),
            "delivered_at": (now - timedelta(days=2)).isoformat(),
        }
    claim = build_claim(
        now=now,
        time_zone="UTC",
        sku=case.sku,
        claim_id=f"{scenario}-{index}",
        customer_id=f"{scenario}-customer-{index}",
        ordered_at=timeline.get("ordered_at"),
        shipped_at=timeline.get("shipped_at"),
        delivered_at=timeline.get("delivered_at"),
        claimed_at=timeline.get("claimed_at"),
    )
    uploads = [Upload(name, data, error) for name, data, error in case.photos]
    started = time.perf_counter()
    try:
        body = verify_claim(claim, uploads, settings=settings, store=store, now=now).body
    except Exception as exc:  # a crash is a finding of the eval, counted and shown
        crash = f"{type(exc).__name__}: {exc}"[:200]
        return CaseResult(case.name, "crash", False, [], crash, (time.perf_counter() - started) * 1000, None, case.product)
    ms = (time.perf_counter() - started) * 1000
    responsible = RESPONSIBLE.get(scenario, ())
    codes, fired = [], False
    for image in body["images"]:
        if "load" in responsible and image["error"]:
            fired = True
            codes.append("load.unreadable")
        for name in responsible:
            finding = image["checks"].get(name)
            if finding is not None:
                codes.append(finding.get("code", finding["status"]))
                fired = fired or finding["status"] in ("warn", "fail")
    return CaseResult(case.name, body["verdict"], fired, codes, None, ms, body, case.product)


def evaluate(
    corpora: Path,
    folder: Path,
    settings: Settings,
    only: set[str] | None = None,
    limit: int | None = None,
    shared: bool = False,
) -> Iterator[ScenarioResult]:
    for scenario in scenarios(corpora, limit=limit, only=only or None):
        yield run_scenario(scenario, folder, settings, shared)


def held_out(result: ScenarioResult, products: set[str]) -> ScenarioResult | None:
    """The scenario's claims on photos of `products` (those no threshold was fitted on); None when
    it has none: its claims are not of grocery products."""
    kept = [r for r in result.results if r.product in products]
    return ScenarioResult(result.name, kept, []) if kept else None


def missed(result: ScenarioResult) -> list[CaseResult]:
    """The claims that went against their scenario's goal."""
    if result.name == "genuine_exif":
        return [r for r in result.results if r.verdict != "accept"]
    if result.name in GENUINE:
        return [r for r in result.results if r.verdict in ("reject", "crash")]
    if result.name == "hostile_file":
        return [r for r in result.results if r.verdict == "crash"]
    return [r for r in result.results if r.verdict == "accept" or not r.fired]


def goal_line(result: ScenarioResult) -> tuple[str, bool | None]:
    """The goal that applies to the scenario, and whether it is met (None: no goal)."""
    if result.name == "genuine_exif":
        share = result.share(lambda r: r.verdict == "accept")
        return (
            f"accept {share:.1%} (goal >= {GOAL_GENUINE_EXIF_ACCEPT:.0%})",
            share >= GOAL_GENUINE_EXIF_ACCEPT,
        )
    if result.name == "hostile_file":
        crashes = sum(1 for r in result.results if r.verdict == "crash")
        slowest = max((r.ms for r in result.results), default=0.0)
        accepted_unreadable = sum(1 for r in result.results if r.fired and r.verdict == "accept")
        return (
            f"crashes {crashes}, unreadable accepted {accepted_unreadable}, slowest {slowest:.0f} ms (goal: no crash)",
            crashes == 0 and accepted_unreadable == 0,
        )
    if result.name in GENUINE:
        share = result.share(lambda r: r.verdict not in ("reject", "crash"))
        return (
            f"not rejected {share:.1%} (goal >= {GOAL_GENUINE_NOT_REJECTED:.1%})",
            share >= GOAL_GENUINE_NOT_REJECTED,
        )
    not_accepted = result.share(lambda r: r.verdict not in ("accept", "crash"))
    fired = result.share(lambda r: r.fired)
    met = not_accepted >= GOAL_FRAUD_NOT_ACCEPTED and fired >= GOAL_RESPONSIBLE_FIRED
    return (
        f"not accepted {not_accepted:.1%} (>= {GOAL_FRAUD_NOT_ACCEPTED:.0%}), fired {fired:.1%} (>= {GOAL_RESPONSIBLE_FIRED:.0%})",
        met,
    )
