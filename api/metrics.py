"""Prometheus metrics of one API process: requests, latencies, verdicts, photos and check errors.

Each app has its own registry (tests build many apps in one process). The worker processes of one
`evidence-check serve --workers N` share a folder (PROMETHEUS_MULTIPROC_DIR, set by `serve`) where
each writes its values, and any of them answers `/metrics` with the sum. Separate servers behind a
load balancer are each scraped on their own; Prometheus sums them.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

# Seconds: a small photo takes tens of ms, a 200 MP HEIC several seconds.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "evidence_check_http_requests",
            "HTTP requests answered, by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "evidence_check_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "evidence_check_http_requests_in_flight",
            "Requests being answered",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.verdicts = Counter(
            "evidence_check_verdicts", "Claim verdicts returned", ["verdict"], registry=self.registry
        )
        self.photos = Counter(
            "evidence_check_photos",
            "Photos analysed, by whether they could be read",
            ["outcome"],
            registry=self.registry,
        )
        self.check_errors = Counter(
            "evidence_check_check_errors",
            "Checks that could not run on a photo (status error)",
            ["check"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The Prometheus text of this process, or of all workers when they share a folder."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return bytes(generate_latest(registry))
        return bytes(generate_latest(self.registry))

    def observe_report(self, body: dict[str, Any]) -> None:
        self.verdicts.labels(str(body.get("verdict"))).inc()
        for image in body.get("images", []):
            self.photos.labels("unreadable" if image.get("error") else "readable").inc()
            for name, check in image.get("checks", {}).items():
                if check.get("status") == "error":
                    self.check_errors.labels(name).inc()
