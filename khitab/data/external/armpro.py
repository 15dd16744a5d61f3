"""ArMPro dev split (news paragraphs, persuasion techniques) -> weak denial, mostly negatives.

``Doubt`` (questioning credibility) only partly overlaps ``denial``: most of the 27 Doubt
paragraphs question motives or competence, or report rumours, without calling a claim false, so
Doubt -> 1 only when the paragraph itself calls something false (a denial verb, "fake",
"fabricated", "not true"...; ``_lexicon.FALSITY_TERMS``), else unknown. Paragraphs without Doubt
-> 0 only when they hold no denial cue at all: news reports denials ("the ministry denied...")
without any propaganda label, so cue-bearing ones stay unknown. Units are paragraphs, not
sentences; ``group`` = the article (page_id). ``threat``/``sectarian``: absent.
"""
from __future__ import annotations

from pathlib import Path

from khitab.data.corpus import DataError
from khitab.data.external._common import Collector, SourceSpec
from khitab.data.external._lexicon import has_denial_cue, has_falsity_term
from khitab.data.schema import Example
from khitab.io import LineError, iter_jsonl

NAME = "armpro"
SPEC = SourceSpec(
    name=NAME,
    folder="ArMPro",
    files=("dataset/text/V2/multilabel/ArMPro_multilabel_dev_V2.jsonl",),
    repository="https://github.com/MaramHasanain/ArMPro",
    commit="4caa4d3b9f45bc749e7865a88a61d1024b090eac",
)


def labels_for(text: str, techniques: list[str]) -> dict[str, int | None]:
    if "Doubt" in techniques:
        return {"denial": 1 if has_falsity_term(text) else None}
    return {"denial": None if has_denial_cue(text) else 0}


def load(root: Path) -> list[Example]:
    (path,) = SPEC.require(root)
    out = Collector(NAME, dialect="msa", register="news")
    for number, row in iter_jsonl(path):
        if isinstance(row, LineError):
            raise DataError([f"{path}:{number}: {row.reason}"])
        text = row.get("paragraph")
        techniques = list(row.get("labels") or [])
        if not isinstance(text, str):
            continue
        out.add(row.get("paragraph_id") or number, text, labels_for(text, techniques),
                group=row.get("page_id"), meta={"orig": ",".join(techniques) or "no_technique"})
    return out.examples()
