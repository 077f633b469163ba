"""The relevance look (看关联性): does the photo show the ordered product?

Matching against catalog images arrives with the catalog; until a SKU has catalog images the look
cannot tell, and says so (``unknown``), which never counts against the customer.
"""

from __future__ import annotations

from evidence_check.checks.context import CheckContext
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    if not claim.sku:
        return Finding(Status.UNKNOWN, 0.0, "relevance.no_sku")
    return Finding(Status.UNKNOWN, 0.0, "relevance.no_catalog", {"sku": claim.sku})
