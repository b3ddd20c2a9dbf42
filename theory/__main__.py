"""``python -m theory`` runs the command-line interface."""
from theory.cli import main

raise SystemExit(main())
