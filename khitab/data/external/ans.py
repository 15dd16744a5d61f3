"""ANS stance pairs (Arabic news headlines: original vs paraphrase/contradiction) -> weak denial.

The text is the side of a pair that carries a denial verb (نفى، تنفي، ينكر، يكذب...; usually s2,
the rewritten headline, sometimes the original s1), whichever it is: ``denial`` 1 when that verb
is not negated and the headline "disagrees" with a partner that has no such verb (the stance
confirms it denies the partner's claim). 0 for headlines with no denial cue at all (``_lexicon``),
which includes the contradicting rewrites ("protests stopped" vs "protests go on") and
confirmations the guidelines count as negatives; unknown for other cue-bearing headlines and for
"agree" paraphrases of a denial. Weak: labels rest on keywords plus stance, and a denial worded
without a cue ("Berlin: no trade war") is a false 0. ``group`` = the connected set of headlines
linked by pairs (one news event). The claim files (fake_flag) are not used. Other labels absent.
"""
from __future__ import annotations

import csv
from pathlib import Path

from khitab.data.external._common import Collector, SourceSpec, prep
from khitab.data.external._lexicon import has_denial_cue, has_denial_verb
from khitab.data.schema import Example

NAME = "ans"
SPLITS = ("train", "dev", "test")
SPEC = SourceSpec(
    name=NAME,
    folder="ANS",
    files=tuple(f"data/stance/{s}.csv" for s in SPLITS),
    repository="https://github.com/latynt/ans",
    commit="9c5f313ab225880b9f60f4e795e6afb4da3352c8",
)


def denial_label(text: str, pairs: list[tuple[str, str]]) -> int | None:
    """``pairs``: (stance, partner text) for every pair the headline appears in."""
    if has_denial_verb(text):
        if any(stance == "disagree" and not has_denial_verb(other) for stance, other in pairs):
            return 1
        return None
    if has_denial_cue(text):
        return None
    if any(stance == "agree" and has_denial_verb(other) for stance, other in pairs):
        return None
    return 0


def load(root: Path) -> list[Example]:
    first_id: dict[str, str] = {}
    pairs: dict[str, list[tuple[str, str]]] = {}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for path, split in zip(SPEC.require(root), SPLITS):
        with open(path, encoding="utf-8-sig", newline="") as f:
            for row, record in enumerate(csv.DictReader(f), 1):
                s1, s2 = prep(record.get("s1")), prep(record.get("s2"))
                stance = str(record.get("stance", "")).strip().lower()
                for side, text, other in (("s1", s1, s2), ("s2", s2, s1)):
                    if not text:
                        continue
                    first_id.setdefault(text, f"{split}:{row}:{side}")
                    parent.setdefault(text, text)
                    if other:
                        pairs.setdefault(text, []).append((stance, other))
                if s1 and s2:
                    parent[find(s1)] = find(s2)

    group_of: dict[str, str] = {}
    for text in first_id:  # first-seen order: a group is named after its first headline
        group_of.setdefault(find(text), first_id[text])
    out = Collector(NAME, dialect="msa", register="headline")
    for text, ex_id in first_id.items():
        mine = pairs.get(text, [])
        out.add(ex_id, text, {"denial": denial_label(text, mine)}, group=group_of[find(text)],
                meta={"stances": ",".join(sorted({s for s, _ in mine}))}, cleaned=True)
    return out.examples()
