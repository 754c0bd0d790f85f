"""The HTTP edge: REST under /api/v1, health and metrics, and the GraphQL router."""
