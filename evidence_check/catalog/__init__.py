"""The catalog: a tenant's SKUs, their images' precomputed features, and candidate retrieval.

Its rooms, from plain data up:

- `stored`: the catalog as the store keeps it (plain data; no OpenCV, so the store can import it);
- `zones`: the parts of a product a merchant names on its images, parsed where they enter;
- `words`: the vocabulary of visual words and the inverted index over the catalog's images;
- `entries`: the catalog in memory (`CatalogSku`, `CatalogImage`) and what adding an image measures;
- `photo`: the photo's side of matching, its features for the first look and the closer one;
- `matching`: a photo against catalog images: inliers, shared print, colours (measures only);
- `registry`: one tenant's catalog (retrieval, assessment) and every tenant's, loaded once.

Importing this package loads only the plain-data rooms; the others are imported by name.
"""

from evidence_check.catalog.stored import StoredCatalog, StoredImage, StoredSku
from evidence_check.catalog.zones import parse_image_zones, parse_zones

__all__ = ["StoredCatalog", "StoredImage", "StoredSku", "parse_image_zones", "parse_zones"]
