"""`evidence-check eval`: claims built from the shared corpora for every scenario of docs/domain.md,
run end to end.

- `scenarios`: the claims and their labels, taken from the files, never from our checks' output;
- `evidence`: the evidence files the scenarios make (a phone's EXIF inserted, a reuser's edits,
  AI markers, a product held in front of its brand's shelf);
- `quiet_edits`: damage painted by an editor that keeps every EXIF byte, and honest phone-like
  re-processings (also used by scripts/bench_integrity.py);
- `running`: each claim through `verify_claim` — the function the CLI's verify and the API call —
  with a fresh store per claim (or per scenario, `shared`), and each scenario's goal;
- `sweep`: the same findings re-scored under other thresholds.
"""

from evidence_check.evaluation.evidence import AI_MARKERS, TRANSFORMS, with_exif
from evidence_check.evaluation.running import (
    CaseResult,
    ScenarioResult,
    evaluate,
    goal_line,
    held_out,
    missed,
    run_scenario,
)
from evidence_check.evaluation.scenarios import (
    GENUINE,
    RESPONSIBLE,
    SCENARIOS,
    Case,
    Scenario,
    held_out_products,
    scenarios,
)
from evidence_check.evaluation.sweep import SweepRow, rescore, sweep

__all__ = [
    "AI_MARKERS",
    "GENUINE",
    "RESPONSIBLE",
    "SCENARIOS",
    "TRANSFORMS",
    "Case",
    "CaseResult",
    "Scenario",
    "ScenarioResult",
    "SweepRow",
    "evaluate",
    "goal_line",
    "held_out",
    "held_out_products",
    "missed",
    "rescore",
    "run_scenario",
    "scenarios",
    "sweep",
    "with_exif",
]
