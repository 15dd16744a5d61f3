"""OSACT 2022 fine-grained hate speech (Arabic tweets, mostly Gulf/Egyptian) -> threat, sectarian.

``threat``: VIO -> 1, NOT_VIO -> 0; VIO is crowd-judged "violence" (mostly threats and calls to
hit, stab, kill), weak where it marks curses or emoji, and it was only judged on offensive tweets,
so the 0s of non-offensive tweets assume they hold no threat (reported threats are rare there).
``sectarian``: HS2 (religion/belief hate) is mostly insults to religion, atheists or Jews, so it
counts as 1 only when the tweet names a sect (``_lexicon``) and is unknown otherwise; HS1 and HS3
(nationality, ideology) stay unknown because "Safavid"-style sect slurs are often filed there;
NOT_HS and HS4-6 give 0 unless a sect is named. ``denial`` is not annotated (absent).
"""
from __future__ import annotations

from pathlib import Path

from khitab.data.external._common import Collector, SourceSpec, read_tsv, sectarian_from_hate
from khitab.data.schema import Example

NAME = "osact2022"
SPEC = SourceSpec(
    name=NAME,
    folder="osact2022_aehabV",
    files=("Dataset/OSACT2022-sharedTask-train.txt", "Dataset/OSACT2022-sharedTask-dev.txt"),
    repository="https://github.com/aehabV/Hate-Speech-Detection-on-Arabic-Tweets",
    commit="3fd437473aca06558df87ffbb770d59706c2b0fb",
)


def labels_for(text: str, hs: str, vio: str) -> dict[str, int | None]:
    if hs == "HS2":
        sectarian = sectarian_from_hate(True, text)
    elif hs in ("HS1", "HS3"):
        sectarian = None
    else:
        sectarian = sectarian_from_hate(False, text)
    return {"threat": 1 if vio == "VIO" else 0, "sectarian": sectarian}


def load(root: Path) -> list[Example]:
    out = Collector(NAME, register="social")
    for path, split in zip(SPEC.require(root), ("train", "dev")):
        for tweet_id, text, off, hs, vlg, vio in read_tsv(path, ncols=6, text_col=1, header=False):
            out.add(tweet_id, text, labels_for(text, hs.strip(), vio.strip()),
                    meta={"split": split, "orig": " ".join(x.strip() for x in (off, hs, vlg, vio))})
    return out.examples()
