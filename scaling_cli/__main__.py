"""``python -m scaling_cli`` runs the ``scale`` command."""

from .cli import main

main()
