"""Voice-and-speaker gold (``data/real/voice.jsonl``) joined with its texts: each item as the
document an annotator read (an ArMPro sentence inside its paragraph, anything else whole) and the
sentence's span in it. Texts come from ``external_root`` and are checked by digest, as for the
labels (``khitab.data.real.corpus``)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from khitab.data.corpus import DataError
from khitab.data.external import ADAPTERS
from khitab.data.real.corpus import text_digest

VOICES = ("author", "quoted", "reported")


@dataclass(frozen=True)
class VoiceItem:
    id: str
    document: str
    start: int
    end: int
    voice: str
    speaker: str | None  # as written in the sentence or its paragraph
    register: str
    split: str = ""  # train / dev / test, as the gold row says
    wave: int = 1  # annotation wave; a later wave was drawn after the rules were written

    @property
    def text(self) -> str:
        return self.document[self.start:self.end]


def read_voice_rows(path: Path) -> list[dict]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("voice") not in VOICES:
            raise DataError([f"{path}:{number}: voice: {row.get('voice')!r} is not one of {VOICES}"])
        rows.append(row)
    return rows


def load_voice_items(path: Path, external_root: Path) -> list[VoiceItem]:
    """Every gold item with its document; ``DataError`` naming items whose text is gone or changed."""
    from khitab.data.real.units import real_units

    root = Path(external_root)
    units = {u.id: u for u in real_units(root)}
    paragraphs = {ex.id: ex.text for ex in ADAPTERS["armpro"](root)} if any(
        u.source == "armpro" for u in units.values()) else {}
    items, problems = [], []
    for row in read_voice_rows(path):
        unit = units.get(row["id"])
        if unit is None or text_digest(unit.text) != row["sha1"]:
            problems.append(f"{path}: {row['id']}: text not found under {root} or changed (sha1)")
            continue
        document, start, end = unit.text, 0, len(unit.text)
        paragraph_id, _, span = row["id"].partition("#")
        if span and paragraph_id in paragraphs:
            document = paragraphs[paragraph_id]
            start, end = (int(x) for x in span.split("-"))
        items.append(VoiceItem(row["id"], document, start, end, row["voice"], row.get("speaker"),
                               row["register"], row.get("split", ""), int(row.get("wave", 1))))
    if problems:
        raise DataError(problems)
    return items
