"""arHateDetector's nuha.xlsx = Albadi et al. 2018 religious hate tweets (Class 1/0) -> sectarian.

Albadi's "religious hate" mixes sect hate (Sunni/Shia) with interfaith hate (Jews, Christians)
and hate of atheists, and its labels are noisy. Class 1 -> ``sectarian`` 1 only when the tweet
names a sect or uses a sect slur (``_lexicon``; Christians count, as in the guidelines), else
unknown (atheists, Jews, individuals). Class 0 -> 0 only when no sect is named: the tweets were
collected by religious keywords and a non-hateful tweet naming a sect may still frame it (sect
pride, mobilisation). Its 682 repeated texts are merged, the 33 with conflicting classes left
unknown. ``threat``/``denial``: absent. latest.xlsx (MLMA) is not used: its "religion" target is
too weak a signal.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from khitab.data.external._common import Collector, SourceSpec, sectarian_from_hate
from khitab.data.schema import Example

NAME = "arhatedetector"
SPEC = SourceSpec(
    name=NAME,
    folder="arHateDetector",
    files=("Datasets/nuha.xlsx",),
    repository="https://github.com/ramzi-kh/arHateDetector",
    commit="26a4b6605b0e863005f4de9f83d66c11ea7f2d51",
)


def labels_for(text: str, cls: str) -> dict[str, int | None] | None:
    cls = cls.strip().split(".")[0]  # "1", or "1.0" if the cell was a float
    if cls not in ("0", "1"):
        return None
    return {"sectarian": sectarian_from_hate(cls == "1", text)}


def load(root: Path) -> list[Example]:
    (path,) = SPEC.require(root)
    frame = pd.read_excel(path, dtype=str)  # header: Tweet, Class
    out = Collector(NAME, register="social")
    for row, (text, cls) in enumerate(zip(frame["Tweet"], frame["Class"]), 1):
        if not isinstance(text, str) or not isinstance(cls, str):
            continue
        labels = labels_for(text, cls)
        if labels is not None:
            out.add(f"nuha:{row}", text, labels, meta={"orig": cls.strip()})
    return out.examples()
