"""`python -m gatehouse` runs the command line."""

from gatehouse.cli import app

app()
