"""API tests through the real ASGI app."""
