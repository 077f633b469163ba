"""The widths of the store's columns that hold text a client sends: the tables declare their
`String(n)` columns with these, and the validators (command line, API, console, import manifests)
refuse longer text whole with them, before anything is stored. Without the rule SQLite, which
ignores a width, stored the text whole and PostgreSQL refused the row (exit 1, or a 503)."""

import hashlib

ID_WIDTH = 128  # claim ids, customer ids, order ids and SKUs
TENANT_WIDTH = 64  # a tenant's name, as an API key carries it
FILENAME_WIDTH = 255  # a photo's or catalog image's file name as uploaded: cut, not refused (it names, it is not a record)
URL_WIDTH = 2000  # a tenant's webhook receiver
NAME_WIDTH = 255  # a SKU's name
CATEGORY_WIDTH = 64  # a SKU's category, and a claim's
LABEL_WIDTH = 128  # a SKU's brand and family
# An outcome's note is kept as unbounded text: its limit is ours, one for the API, console and CLI.
NOTE_WIDTH = 2000
# A zone's name, and its note or Chinese label: kept inside the SKU's zones (JSON), limits of ours.
ZONE_NAME_WIDTH = 64
ZONE_TEXT_WIDTH = 300
# A console session's opaque id (api.web.session), kept with the decisions made in it and when it is signed out.
SESSION_ID_WIDTH = 32


NAME_DIGEST = 8  # hexadecimal digits of a cut name's sha256


def stored_filename(name: str) -> str:
    """A file name as the store keeps it: cut to its column, the cut ending with `~` and a digest of
    the whole name. Cut plainly, two names agreeing in their first 255 characters (an archive's deep
    folders) were stored as one, and zones drawn for one image landed on the other. Zones are given
    by file name, so a name over the width is looked up cut too (`catalog.zones.parse_image_zones`)."""
    if len(name) <= FILENAME_WIDTH:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:NAME_DIGEST]
    return f"{name[: FILENAME_WIDTH - NAME_DIGEST - 1]}~{digest}"


def stored_cuts(name: str) -> tuple[str, ...]:
    """The names `name` may be stored under: `stored_filename`'s, then the plain cut of stores
    written before the digest."""
    return (stored_filename(name), name[:FILENAME_WIDTH])
