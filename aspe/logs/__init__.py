"""Structured logs: one line per event, JSON in production, text for people elsewhere.

Each line carries who and what it belongs to — the request id, the correlation id, the
actor's id and role — taken from context variables set where a request starts
(``requests.RequestIds``), where it is authenticated (``context.identify``) and where a
Celery task runs (``setup.log_celery_tasks``). Never personal data: ids, roles, paths and
codes only; query strings are left out of the access lines.
"""
