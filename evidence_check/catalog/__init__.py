"""The catalog: a tenant's SKUs, their images' precomputed features, and candidate retrieval.

Its rooms, from plain data up (the catalog as the store keeps it is `store.catalog_types`):

- `zones`: the parts of a product a merchant names on its images, parsed where they enter;
- `labels`: a SKU's brand and family, checked where they enter, and the brand the look compares;
- `words`: the vocabulary of visual words and the inverted index over the catalog's images;
- `entries`: the catalog in memory (`CatalogSku`, `CatalogImage`) and what adding an image measures;
- `photo`: the photo's side of matching, its features for the first look and the closer one;
- `matching`: a photo against catalog images: inliers, shared print, colours (measures only);
- `registry`: one tenant's catalog (retrieval, assessment) and every tenant's, loaded once.

Importing this package loads only `zones` and `labels`; the others are imported by name.
"""

from evidence_check.catalog.labels import valid_label
from evidence_check.catalog.zones import parse_image_zones, parse_zones

__all__ = ["parse_image_zones", "parse_zones", "valid_label"]
