"""`python -m khitab.cli ...` (torchrun and the tests start the command line this way)."""
from khitab.cli import main

main()
