"""The normal / abusive / hate scheme shared by L-HSAB and T-HSAB (Mulki, Haddad et al.)."""
from __future__ import annotations

from khitab.data.external._common import sectarian_from_hate

CLASSES = ("normal", "abusive", "hate")


def labels_for(text: str, cls: str) -> dict[str, int | None] | None:
    """``None`` for a row whose class is not one of the three (it is skipped)."""
    cls = cls.strip().lower()
    if cls not in CLASSES:
        return None
    return {
        # "normal" excludes offensive and aggressive content, so it holds no threat; abusive and
        # hate rows may or may not threaten.
        "threat": 0 if cls == "normal" else None,
        "sectarian": sectarian_from_hate(cls == "hate", text),
    }
