"""Train/dev/test assignment by group, so paraphrases never cross splits."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable

from khitab.data.schema import Example

SPLITS = ("train", "dev", "test")
DEV_SHARE = 0.15
TEST_SHARE = 0.15


def split_of(group: str) -> str:
    """Stable split for a group id: the same group always lands in the same split."""
    bucket = int.from_bytes(hashlib.sha256(group.encode("utf-8")).digest()[:8], "big") / 2**64
    if bucket < TEST_SHARE:
        return "test"
    if bucket < TEST_SHARE + DEV_SHARE:
        return "dev"
    return "train"


def select(examples: Iterable[Example], split: str) -> list[Example]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return [ex for ex in examples if split_of(ex.group) == split]
