"""One module per resource; each route parses, calls the service, and returns the model.

The routers' paths are under `API_PREFIX`, given them where the app includes them (api.app).
"""

API_PREFIX = "/v1"
