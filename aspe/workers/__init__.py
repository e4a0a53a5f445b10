"""The workers: the notifier (events → messages), their delivery by Celery (e-mail and the
in-app inbox, whose store ``inbox`` is theirs: written here, never projected from events),
and the regulatory clocks (DESIGN §8)."""
