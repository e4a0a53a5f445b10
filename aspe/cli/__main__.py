"""``python -m aspe.cli``: the ``aspe`` command."""

from aspe.cli.main import app

app()
