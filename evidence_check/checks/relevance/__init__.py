"""The relevance look (看关联性): does the photo show the ordered product, or another one?

The photo's SIFT features are matched against every catalog image of the ordered SKU (ratio test,
then a RANSAC homography, counting inliers), and the catalog's visual-word index proposes the
other SKUs most like the photo (ranked again by a homography on keypoints of shared words), plus
the ordered SKU's closest same-brand siblings, which are verified the same way
(`catalog.registry`). When that finds no product at all, the photo is looked at again closer, on a
copy `features.CLOSER_SCALE` times as large (`rules.needs_closer_look`; details say
``closer_look``): a carton held small in a shelf photo. An out-of-focus photo, short of keypoints
there, is measured with SIFT's contrast threshold lowered (`features.CLOSER_CONTRAST`). When the
closer look finds nothing either, the coarse look matches the photo reduced to `features.COARSE_SIDE`
against a blurred copy of each catalog image (details say ``coarse_look``; its answer is kept only
when it finds a product, and its rules are the closer look's): a soft carton that neither scale
finds alone.

The thresholds and rules below live in `rules.py`, one table read in order (`rules.RULES`).

- ``pass``: the ordered product is found (at least `rules.PASS_INLIERS` inliers), no other SKU matches
  comparably, and its colours agree with the catalog image where the homography puts it.
- ``fail`` (``relevance.other_product``; ``relevance.other_variant`` when a variant of that other
  product's brand matches about as well and its print does not tell the two apart, both named):
  another SKU matches clearly better (at least `OTHER_STRONG` inliers and `CLEARLY_BETTER` times the
  ordered SKU's) — the photo is of another product. Never while the ordered product is found at
  `PASS_INLIERS` (a carton held in front of a shelf of its brand's other variants: ``warn``, naming
  the other product), and only when the other product is the photo's subject (its outline covers
  `SUBJECT_MIN_SHARE` of the frame, its centre not in a corner; else ``warn``
  ``relevance.other_in_background``). For a variant of the same design (the brand the catalog gives,
  else the first word of the name; the same family when both give one) the evidence must also
  separate them: `VARIANT_STRONG` inliers and either
  `VARIANT_CLEARLY_BETTER` times as many, colours that fit the rival better, or clearly more inliers
  on the print only the rival has (``distinctive_inliers``: the features its catalog image does not
  share with the ordered one's; then `VARIANT_SEPARATED_BETTER` times as many inliers suffice), or
  colours by place that follow the rival's design where the two differ (``colour_vote``); otherwise
  ``warn`` "same brand, variant not confirmed". Likewise a genuine match passes only when every
  rival found about as well is told apart: by the print only the ordered product has, by the colours
  where the two designs differ (the fruit on the carton, the flavour band: what a grey-level SIFT
  cannot see), by leading in inliers and overall colour when the colours by place do not
  contradict it, or by showing nothing of the rival's own print (only the logo both carry).
  Another brand's product found no better than the ordered one, where none of its inliers lies
  among the ordered product's (``catalog.matching.apart``: a carton held in front of a fridge, another on
  the shelf behind it), is the background and not a rival.
- ``warn``: the ordered product is found but so is a rival (``relevance.variant_unconfirmed``,
  ``relevance.two_products``), or the colours disagree (``relevance.colour_mismatch``: a black
  item passed off for an ordered white one), or a closer look matched only print the brand's
  other packs share (``relevance.brand_only``: the logo on a pack held at a slant); or the ordered
  product is found only weakly while another is found at ``OTHER_STRONG``, short of
  ``CLEARLY_BETTER`` (``relevance.other_stronger``; ``relevance.other_variant_stronger`` naming its
  look-alike variant too, as a ``fail`` does: a soyghurt pot claimed as the brand's milk carton).
- ``unknown``: no SKU or no catalog images; a photo with too little texture to match (fruit,
  a plain garment, blur); or neither the ordered nor another product is found clearly (a side of
  the package the catalog does not show). Weak evidence is never a ``fail``.

When the claim's reason is ``wrong_item``, a photo of another product supports the claim
(``relevance.other_product_as_claimed``, ``pass``; ``relevance.other_variant_as_claimed`` naming its
look-alike variant too, as a ``fail`` does) and a photo of the ordered one does not
(``relevance.ordered_product_shown``, ``warn``).

Details carry the numbers: the ordered SKU's best inliers, matches, inlier ratio, matched catalog
image and homography (catalog pixels -> photo pixels), the best other SKU and its inliers, the
colour overlap, the SKUs verified and the shortlist they were chosen from with its word inliers.
"""

from __future__ import annotations

from evidence_check.checks.context import CheckContext
from evidence_check.checks.relevance import rules
from evidence_check.checks.relevance.details import counts, details_of
from evidence_check.imaging.load import Photo
from evidence_check.models import Claim, Finding, Status


def check(photo: Photo, claim: Claim, context: CheckContext) -> Finding:
    if not claim.sku:
        return Finding(Status.UNKNOWN, 0.0, "relevance.no_sku")
    catalog = context.catalog
    tenant = catalog.for_tenant(claim.tenant) if catalog is not None else None
    entry = tenant.get(claim.sku) if tenant is not None else None
    if tenant is None or entry is None or not entry.images:
        return Finding(
            Status.UNKNOWN, 0.0, "relevance.no_catalog", {"sku": claim.sku}, {"sku": claim.sku},
            next_step="add_catalog_images",
        )  # fmt: skip
    found = context.measurements(photo).assessment(tenant, claim.sku, rules)
    rival_entry = tenant.get(found.other.image.sku) if found.other else None
    params = {"ordered": entry.label, **counts(found)}
    if rival_entry is not None:
        params["other"] = rival_entry.label
    look = rules.Look(found, tenant, entry, claim.reason, params, details_of(found, entry, rival_entry))
    return rules.decide(look)
