"""Social-media clean-up shared by every source, so texts compare equal across datasets."""
from __future__ import annotations

import re

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")
# Datasets replace handles and links with their own placeholders; fold them into ours.
_PLACEHOLDER = re.compile(r"<LF>|(?<!\w)@?USER(?!\w)|(?<!\w)URL(?!\w)")
_SPACES = re.compile(r"\s+")


def clean_social(text: str) -> str:
    """Drop user handles, URLs and dataset placeholders; collapse whitespace."""
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _PLACEHOLDER.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
