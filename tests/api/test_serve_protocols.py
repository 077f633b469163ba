"""`serve` runs uvicorn with the C HTTP parser and event loop when they are importable, and falls
back to h11 and asyncio where a platform has no build of them; either parser with the header guard."""

from __future__ import annotations

import os
import sys

import pytest

from api.app import analyses_per_process
from evidence_check.cli.serve import fast_protocols

HTTPTOOLS = "api.connections_httptools:GuardedHttpToolsProtocol"
H11 = "api.connections:GuardedH11Protocol"


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        ((), {"http": HTTPTOOLS, "loop": "uvloop"}),
        (("uvloop",), {"http": HTTPTOOLS}),
        (("httptools",), {"http": H11, "loop": "uvloop"}),
        (("httptools", "uvloop"), {"http": H11}),
    ],
)
def test_serve_uses_the_fast_protocols_that_are_installed(
    monkeypatch: pytest.MonkeyPatch, missing: tuple[str, ...], expected: dict[str, str]
) -> None:
    for module in missing:
        monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    assert fast_protocols() == expected


@pytest.mark.parametrize(
    ("cores", "workers", "expected"), [(2, 1, 4), (2, 2, 2), (8, 2, 8), (2, 4, 1), (2, 8, 1), (1, 1, 2)]
)
def test_claims_analysed_at_once_are_two_per_core_shared_among_the_workers(
    monkeypatch: pytest.MonkeyPatch, cores: int, workers: int, expected: int
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert analyses_per_process(workers) == expected
