"""The errors a user can fix: one base, so the command line turns exactly these (and nothing
else) into one line on stderr and exit status 2; any other exception is a bug and keeps its
traceback.

``KhitabError`` is a ``ValueError`` because every class below was one before the base existed:
callers that catch ``ValueError`` keep working.
"""
from __future__ import annotations

from collections.abc import Sequence


class KhitabError(ValueError):
    """A problem with what the user gave: a config, data, input, model or option."""


class ConfigError(KhitabError):
    """A config file that cannot be read or does not validate."""


class DataError(KhitabError):
    """Rows that do not fit the schema; ``problems`` holds one 'file:line: field: why' each."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        shown = "\n".join(self.problems[:20])
        more = f"\n... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} invalid row(s):\n{shown}{more}")


class InputError(KhitabError):
    """An input that cannot be scored; the message names it."""


class BundleError(KhitabError):
    """A path that is not a loadable model, or a model that does not fit the request."""


class OptionError(KhitabError):
    """A name or option value outside its choices (an unknown split, source, level or backend),
    or options that do not go together; the message lists what is valid."""
