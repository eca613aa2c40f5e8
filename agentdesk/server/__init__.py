"""The team server: a FastAPI app over SQLAlchemy on PostgreSQL (production) or SQLite.

It holds no state of its own apart from the database, so several instances can share one
PostgreSQL behind a load balancer (the per-token rate limit is the one per-instance exception).
"""
