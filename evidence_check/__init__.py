"""evidence-check: verifies the photos customers send as evidence for refund claims."""

__version__ = "0.1.0"
