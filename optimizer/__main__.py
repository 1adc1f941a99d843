"""``python -m optimizer`` runs the command line."""

from optimizer.cli.main import main

main()
