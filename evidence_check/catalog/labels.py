"""A SKU's brand and family, as a merchant names them: checked where they enter (the command line,
an import manifest, the API) and read by the relevance look to tell a variant of the ordered product
from another product.

The brand is the maker ("Arla"); the family, optional, a line of that brand whose packs share one
design ("yoghurt 1 l"). A SKU without a brand gets the first word of its name (else of the SKU) as its
brand: 'Bravo Apple Juice' -> 'bravo'. Catalogs with no names, or names that do not start with the
brand, should give it: the first word then names nothing, and the look falls back on its safe side
(a product found at pass strength is never a fail).
"""

from __future__ import annotations

from evidence_check.errors import WordedError
from evidence_check.storable import holds_control, storable
from evidence_check.widths import LABEL_WIDTH


class LabelInvalid(WordedError, ValueError):
    """A brand or family that cannot be stored; the message names the field."""


def valid_label(key: str, value: str | None) -> str | None:
    """The label as stored (spaces trimmed; None when empty); ValueError naming `key` when too long
    or holding control characters."""
    if value is None:
        return None
    text = value.strip()
    if len(text) > LABEL_WIDTH:
        raise LabelInvalid("text.too_long", field=key, max_length=LABEL_WIDTH)
    # Stricter than `storable`, which lets a name keep what a text area sends: a label is a value of
    # one line, so tab and every line break (NEL too, which the check here once let through) are refused.
    if holds_control(text):
        raise LabelInvalid("label.control_characters", field=key)
    if not storable(text):
        raise LabelInvalid("text.unstorable", field=key)
    return text or None


def brand_key(brand: str | None, name: str | None, sku: str) -> str:
    """What SKUs of one brand share: the given brand, else the first word of the name or the SKU."""
    if brand:
        return " ".join(brand.lower().split())
    # A name of spaces or dashes alone names nothing, as no name: else every such SKU shared brand "".
    words = _words(name or "") or _words(sku)
    return words[0].lower() if words else ""


def _words(text: str) -> list[str]:
    return text.replace("-", " ").replace("_", " ").split()


def family_key(family: str | None) -> str | None:
    return " ".join(family.lower().split()) if family else None
