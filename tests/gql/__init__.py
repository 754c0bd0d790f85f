"""GraphQL tests through the real ASGI app."""
