"""The HTTP API: translates HTTP into the same calls the command line makes (see `api.app`)."""
