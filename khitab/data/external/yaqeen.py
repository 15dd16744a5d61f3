"""Yaqeen-AI raw files: ArMI 2021 misogyny tweets -> threat; Egyptian 5-way -> sectarian.

ArMI ``threat``: "threat of violence" -> 1, partial (threats against women only, often dialect
insults); the other misogyny categories -> 0 (one category per tweet, so a threatening tweet
would have been filed as a threat); "damning" (prayers for harm, e.g. "may God bury you") and
"none" (not misogynistic, yet possibly threatening a man) -> unknown. Egyptian 5-way
``sectarian``: "Religious Discrimination" -> 1 only when a sect is named (Christians/Copts,
Shia...; ``_lexicon``), else unknown (attacks on Muslims, Jews or atheists, and "curse your
religion" swearing); Neutral/Offensive/Racism/Sexism -> 0 unless a sect is named. Egyptian
``threat``: Neutral -> 0, the rest unknown. ``denial``: absent.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from khitab.data.external._common import Collector, SourceSpec, read_tsv, sectarian_from_hate
from khitab.data.schema import Example

NAME = "yaqeen"
SPEC = SourceSpec(
    name=NAME,
    folder="yaqeen_steamiejoe",
    files=("data/raw/ArMI2021_training.tsv", "data/raw/train-egyptian-5-way.parquet",
           "data/raw/test-egyptian-5-way.parquet"),
    repository="https://github.com/steamiejoe/arabic-hate-speech",
    commit="c784a55c98fc246076f2e4e7bb5997d054ac6644",
)
ARMI_NOT_THREAT = {"discredit", "stereotyping & objectification", "dominance", "derailing", "sexual harassment"}
EGY_CLASSES = {"Neutral", "Offensive", "Racism", "Sexism", "Religious Discrimination"}


def armi_labels(category: str) -> dict[str, int | None]:
    category = category.strip().lower()
    if category == "threat of violence":
        return {"threat": 1}
    return {"threat": 0 if category in ARMI_NOT_THREAT else None}


def egyptian_labels(text: str, label: str) -> dict[str, int | None] | None:
    label = label.strip()
    if label not in EGY_CLASSES:
        return None
    return {
        "threat": 0 if label == "Neutral" else None,
        "sectarian": sectarian_from_hate(label == "Religious Discrimination", text),
    }


def load(root: Path) -> list[Example]:
    armi, egy_train, egy_test = SPEC.require(root)
    out = Collector(NAME, register="social")
    for tweet_id, text, misogyny, category in read_tsv(armi, ncols=4, text_col=1, header=True):
        out.add(f"armi:{tweet_id.strip()}", text, armi_labels(category),
                meta={"part": "armi", "orig": f"{misogyny.strip()}/{category.strip()}"})
    for path, split in ((egy_train, "train"), (egy_test, "test")):
        frame = pd.read_parquet(path, columns=["text", "label"])
        for row, (text, label) in enumerate(zip(frame["text"], frame["label"]), 1):
            if not isinstance(text, str) or not isinstance(label, str):
                continue
            labels = egyptian_labels(text, label)
            if labels is not None:
                out.add(f"egy-{split}:{row}", text, labels, meta={"part": "egyptian-5-way", "orig": label})
    return out.examples()
