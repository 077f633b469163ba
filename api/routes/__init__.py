"""One module per resource; each route parses, calls the service, and returns the model."""
