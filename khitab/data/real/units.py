"""Real-text units as users send them: a tweet or headline whole, a news paragraph split into
sentences with the project's splitter. Each unit knows its source, its id in that source, the
group its split follows (the tweet, or the article for news), and the source's own proxy tags."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from khitab.data.external import ADAPTERS, SPECS
from khitab.data.schema import Example
from khitab.text.normalize import fold_keywords
from khitab.text.split import split_sentences


@dataclass(frozen=True)
class Unit:
    id: str
    text: str
    source: str
    group: str
    register: str
    proxies: tuple[str, ...]


def proxies_of(ex: Example) -> tuple[str, ...]:
    """The source's own annotations that hint at one of our labels (sampling strata only)."""
    orig = ex.meta.get("orig", "")
    tags = []
    if ex.source == "osact2022":
        parts = orig.split()
        if "VIO" in parts:
            tags.append("violence")
        if "HS2" in parts:
            tags.append("religion_hate")
        if any(p in ("HS1", "HS3") for p in parts):
            tags.append("hate")
    elif ex.source in ("lhsab", "thsab") and orig == "hate":
        tags.append("hate")
    elif ex.source == "arhatedetector" and orig == "1":
        tags.append("religion_hate")
    elif ex.source == "sectarian_hiyamgh":
        if "incitement" in orig:
            tags.append("incitement")
        if "accusation" in orig:
            tags.append("accusation")
    elif ex.source == "yaqeen":
        if "threat" in orig.lower():
            tags.append("violence")
        if "religio" in orig.lower():
            tags.append("religion_hate")
    elif ex.source == "armpro" and "Doubt" in orig.split(","):
        tags.append("doubt")
    elif ex.source == "ans" and "disagree" in ex.meta.get("stances", ""):
        tags.append("disagree")
    return tuple(tags)


def _sentences(ex: Example) -> list[Unit]:
    units = []
    for span in split_sentences(ex.text):
        units.append(Unit(
            id=f"{ex.id}#{span.start}-{span.end}", text=ex.text[span.start:span.end], source=ex.source,
            group=ex.group, register="news", proxies=proxies_of(ex),
        ))
    return units


def _ans_claims(root: Path) -> list[Unit]:
    folder = Path(root) / SPECS["ans"].folder / "data" / "claim"
    units = []
    for split in ("train", "dev", "test"):
        path = folder / f"{split}.csv"
        if not path.is_file():
            continue
        with open(path, encoding="utf-8", newline="") as f:
            for row_no, row in enumerate(csv.DictReader(f)):
                text = (row.get("claim_s") or "").strip()
                if text:
                    uid = f"ans_claim:{split}:{row_no}"
                    tags = ("fake",) if row.get("fake_flag") == "1" else ()
                    units.append(Unit(uid, text, "ans_claim", uid, "news", tags))
    return units


def real_units(root: Path) -> list[Unit]:
    """Every candidate unit of every external source found under ``root``: the first copy of each
    (normalized) text across sources, carrying the proxy tags of all its copies."""
    units: list[Unit] = []
    for name, load in ADAPTERS.items():
        if SPECS[name].missing(Path(root)):
            continue
        for ex in load(Path(root)):
            if name == "armpro":
                units.extend(_sentences(ex))
            else:
                register = "news" if name == "ans" else "social"
                units.append(Unit(ex.id, ex.text, name, ex.group, register, proxies_of(ex)))
    units.extend(_ans_claims(root))
    first: dict[str, Unit] = {}
    for u in units:
        key = " ".join(fold_keywords(u.text).split())
        if len(key) < 3:
            continue
        if key in first:  # a later copy adds its source's tags to the first one's
            kept = first[key]
            first[key] = Unit(kept.id, kept.text, kept.source, kept.group, kept.register,
                              tuple(dict.fromkeys(kept.proxies + u.proxies)))
        else:
            first[key] = u
    return list(first.values())
