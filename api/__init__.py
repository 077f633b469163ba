"""The HTTP API: translates HTTP into the same calls the command line makes (see `api.app`)."""

# Before any route is declared: `{claim_id:id}` and `{sku:id}` need the convertor registered.
from api import addresses as addresses
