"""HTTP only: the FastAPI app, dependencies, auth, problem+json, middleware, idempotency, routes."""
