"""Choosing thresholds: the same findings re-scored under a grid of `reject_score` x `review_risk`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from evidence_check import scoring
from evidence_check.evaluation.running import ScenarioResult
from evidence_check.evaluation.scenarios import GENUINE
from evidence_check.models import Finding, ImageReport, Status, Verdict

SWEEP_REJECT_SCORES = (0.7, 0.8, 0.9, 0.96)
SWEEP_REVIEW_RISKS = (0.15, 0.3, 0.45)


@dataclass(frozen=True)
class SweepRow:
    reject_score: float
    review_risk: float
    genuine_exif_accepted: float
    genuine_not_rejected: float
    genuine_reviewed: float  # the agents' workload from genuine customers
    fraud_not_accepted: float
    fraud_rejected: float


def rescore(body: dict[str, Any], rules: scoring.Rules) -> str:
    """The claim verdict the same findings would get under other thresholds."""
    images = []
    for image in body["images"]:
        findings = {
            name: Finding(
                Status(c["status"]), float(c["score"]), c.get("code", name), {}, c.get("details") or {}
            )
            for name, c in (image.get("checks") or {}).items()
        }
        verdict = scoring.photo_verdict(findings, rules) if image["error"] is None else Verdict.REVIEW
        images.append(
            ImageReport(image["image_id"], image["filename"], image["error"], verdict, 0.0, findings)
        )
    return scoring.claim_decision(images, rules)[0].value


def sweep(results: list[ScenarioResult], base: scoring.Rules) -> list[SweepRow]:
    """The goals' figures for every pair of thresholds of the grid, from the same findings."""
    rows = []
    for reject_score in SWEEP_REJECT_SCORES:
        for review_risk in SWEEP_REVIEW_RISKS:
            rules = scoring.Rules(
                reject_score=reject_score,
                review_risk=review_risk,
                review_when_unknown=base.review_when_unknown,
                provenance_bonus=base.provenance_bonus,
                corroboration_bonus=base.corroboration_bonus,
            )
            tallies: dict[str, list[int]] = {
                "exif": [0, 0],
                "genuine": [0, 0],
                "reviewed": [0, 0],
                "fraud": [0, 0],
                "rejected": [0, 0],
            }
            for result in results:
                for case in result.results:
                    if case.body is None:
                        continue
                    verdict = rescore(case.body, rules)
                    if result.name == "genuine_exif":
                        tallies["exif"][0] += verdict == "accept"
                        tallies["exif"][1] += 1
                    if result.name in GENUINE:
                        tallies["genuine"][0] += verdict != "reject"
                        tallies["genuine"][1] += 1
                        tallies["reviewed"][0] += verdict == "review"
                        tallies["reviewed"][1] += 1
                    elif result.name != "hostile_file":
                        tallies["fraud"][0] += verdict != "accept"
                        tallies["fraud"][1] += 1
                        tallies["rejected"][0] += verdict == "reject"
                        tallies["rejected"][1] += 1
            share = {k: (a / n if n else 0.0) for k, (a, n) in tallies.items()}
            rows.append(
                SweepRow(
                    reject_score,
                    review_risk,
                    share["exif"],
                    share["genuine"],
                    share["reviewed"],
                    share["fraud"],
                    share["rejected"],
                )
            )
    return rows
