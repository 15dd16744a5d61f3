"""T-HSAB (Tunisian Facebook/YouTube comments, normal/abusive/hate) -> mostly negatives.

Same rule as L-HSAB. ``threat``: normal -> 0 (no aggressive content), abusive/hate -> unknown.
``sectarian``: normal/abusive -> 0 unless a sect is named (then unknown); hate -> 1 only with a
sect term or slur (``_lexicon``: Christians/"crusader", Wahhabi, Shia/Sunni...), else unknown.
Weakness: Tunisian hate targets Jews, Africans and the inheritance debate far more than sects,
so the few positives are mostly interfaith othering and "crusader"/"Wahhabi" slurs rather than
the intra-Muslim framing the guidelines centre on. ``denial``: absent.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from khitab.data.external._common import Collector, SourceSpec
from khitab.data.external._hsab import labels_for
from khitab.data.schema import Example

NAME = "thsab"
SPEC = SourceSpec(
    name=NAME,
    folder="T-HSAB",
    files=("T-HSAB Corpus/T-HSAB.xlsx",),
    repository="https://github.com/Hala-Mulki/T-HSAB-A-Tunisian-Hate-Speech-and-Abusive-Dataset",
    commit="307f96f123980f1a308df8435979d82e5c4a8f57",
)


def load(root: Path) -> list[Example]:
    (path,) = SPEC.require(root)
    frame = pd.read_excel(path, header=None, dtype=str)  # no header row: text, class
    out = Collector(NAME, dialect="maghrebi", register="social")
    for row, (text, cls) in enumerate(zip(frame[0], frame[1]), 1):
        if not isinstance(text, str) or not isinstance(cls, str):
            continue
        labels = labels_for(text, cls)
        if labels is not None:
            out.add(row, text, labels, meta={"orig": cls.strip()})
    return out.examples()
