"""Celery workers: notifications and the regulatory clocks (DESIGN §8).

Filled by the workers issue.
"""
