"""Lebanese Facebook/X comments on sectarian-charged events (hiyamgh) -> threat, sectarian negatives.

``threat``: final ``incitement`` (تحريض) -> 1, partial: besides calls to kill, burn or "stomp"
it covers calls to deport refugees (forced expulsion, in scope) but also calls for bans, trials or
prayers for punishment (out of scope). The scheme has no threat class, so a commenter's own
threat ("stop or something will happen to you") is filed as offensive: only the objective class
(``none``) with no annotator marking incitement -> 0; offensive/accusation -> unknown.
``sectarian``: objective -> 0 unless a sect is named; offensive/accusation (incl. treason
accusations) -> unknown. ``group`` = the event (EventID; one event holds ~60% of rows). A leading Latin-script
commenter name line is dropped. ``denial``: absent.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from khitab.data.external._common import Collector, SourceSpec, sectarian_from_hate
from khitab.data.schema import Example

NAME = "sectarian_hiyamgh"
SPEC = SourceSpec(
    name=NAME,
    folder="sectarian_hiyamgh",
    files=("Pipeline/MultiLabel-Annotated.xlsx",),
    repository="https://github.com/hiyamgh/sectarian-speech-detection",
    commit="cf78571a9a32285b7c8a26a233b8744ab2f18326",
)
ANNOTATORS = ("Annotator I collapsed", "Annotator II collapsed", "Annotator III collapsed")
_NAME_LINE = re.compile(r"^[A-Za-z][A-Za-z .'\-]{0,60}$")


def strip_author(text: str) -> str:
    """Drop a first line that is only a Latin-script commenter name ("Rania Itani\\n...")."""
    first, sep, rest = text.partition("\n")
    if sep and rest.strip() and _NAME_LINE.match(first.strip()) and len(first.split()) <= 4:
        return rest
    return text


def labels_for(text: str, row: dict) -> dict[str, int | None]:
    incitement = str(row.get("incitement", "")).strip() == "1"
    any_incitement = any("incitement" in str(row.get(a, "")) for a in ANNOTATORS)
    objective = str(row.get("none", "")).strip() == "1"
    return {
        "threat": 1 if incitement else (0 if objective and not any_incitement else None),
        "sectarian": sectarian_from_hate(False, text) if objective else None,
    }


def load(root: Path) -> list[Example]:
    (path,) = SPEC.require(root)
    frame = pd.read_excel(path, dtype=str)
    out = Collector(NAME, dialect="levantine", register="social")
    for number, row in enumerate(frame.to_dict("records"), 1):
        text = row.get("text")
        if not isinstance(text, str):
            continue
        text = strip_author(text)
        event = row.get("EventID") if isinstance(row.get("EventID"), str) else None
        orig = ",".join(k for k in ("offensive", "accusation", "incitement", "none") if str(row.get(k)) == "1")
        out.add(number, text, labels_for(text, row), group=event,
                meta={"event": event or "", "theme": str(row.get("theme") or ""), "orig": orig})
    return out.examples()
