"""Is this deployment ready to serve? Independent checks, each a small function.

``checks`` holds them (store, Redis, read models); ``readiness`` runs them side by side,
each within ``ASPE_READY_CHECK_TIMEOUT``; ``/readyz`` (``http``) and ``aspe status`` say
the result. ``/healthz`` (in ``aspe.api``) is liveness only: it touches nothing.
"""
