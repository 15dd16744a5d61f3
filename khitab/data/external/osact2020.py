"""OSACT 2020 / OffensEval 2020 Arabic (tweets): weak negatives only, no positive for any label.

Only OFF/NOT_OFF and HS/NOT_HS are annotated, and no class means threat, sectarian framing or
denial, so nothing here is ever positive. ``threat``: NOT_OFF -> 0 (a threat is an attack and so
offensive; the residual risk is a reported, non-offensive threat), OFF -> unknown (insults and
threats are not told apart). ``sectarian``: NOT_HS -> 0 unless the tweet names a sect
(``_lexicon``; non-hateful sectarian framing is possible there), HS -> unknown. Offensive
non-hate tweets are the useful part: hard sectarian negatives. ``denial``: absent.
"""
from __future__ import annotations

from pathlib import Path

from khitab.data.external._common import Collector, SourceSpec, read_tsv, sectarian_from_hate
from khitab.data.schema import Example

NAME = "osact2020"
SPEC = SourceSpec(
    name=NAME,
    folder="osact2020_motazsaad",
    files=("OSACT4/OSACT2020-sharedTask-train.txt", "OSACT4/OSACT2020-sharedTask-dev.txt"),
    repository="https://github.com/motazsaad/arabic-hatespeech-data",
    commit="a6c43a82de517e904a76043216f60f6d83c83699",
)


def labels_for(text: str, off: str, hs: str) -> dict[str, int | None]:
    return {
        "threat": 0 if off == "NOT_OFF" else None,
        "sectarian": sectarian_from_hate(False, text) if hs == "NOT_HS" else None,
    }


def load(root: Path) -> list[Example]:
    out = Collector(NAME, register="social")
    for path, split in zip(SPEC.require(root), ("train", "dev")):
        for row, (text, off, hs) in enumerate(read_tsv(path, ncols=3, text_col=0, header=False), 1):
            out.add(f"{split}:{row}", text, labels_for(text, off.strip(), hs.strip()),
                    meta={"split": split, "orig": f"{off.strip()} {hs.strip()}"})
    return out.examples()
