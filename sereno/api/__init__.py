"""The web API (FastAPI) that the pages and the tablets use: every read of personal data through the gate.

``create_app(settings)`` builds it; ``sereno serve`` runs it with uvicorn and, on the embedded default, the camera
workers in the same process. See docs/web-api.md.
"""

from sereno.api.app import create_app

__all__ = ["create_app"]
