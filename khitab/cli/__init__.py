"""`khitab` command line: parses arguments and calls the library, nothing more. One module per
command group; importing them registers their commands on the one Typer ``app``."""
from __future__ import annotations  # noqa: I001  (the groups below are imported in --help order)

# Importing a group registers its commands; the order is the order `khitab --help` lists them
# (the main job's `score` and `batch` first).
from khitab.cli import scoring  # noqa: F401
from khitab.cli import modeling  # noqa: F401
from khitab.cli import datasets  # noqa: F401
from khitab.cli import service  # noqa: F401
from khitab.cli import reviews  # noqa: F401
from khitab.cli.app import app

__all__ = ["app", "main"]


def main() -> None:  # console-script entry point
    import warnings

    from transformers.utils import logging as hf_logging

    # peft calls a transformers API that warns about its own future renaming: not the user's concern.
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")

    # Load reports and shard progress bars are noise for users; our own messages say what happens.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    app()
