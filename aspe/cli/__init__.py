"""The ``aspe`` command (typer): one module per group of commands.

``main`` holds the root command and its own (``serve``, ``demo``, ``case``…); ``projections``
the read models' and the notifier's, ``workers`` Celery's, ``schema`` the GraphQL schema's;
``console`` what they share (settings, output, refusals). Each command builds what it runs
through ``aspe.bootstrap``, once.
"""

from aspe.cli.main import app

__all__ = ["app"]
