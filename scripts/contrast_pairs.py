#!/usr/bin/env python3
"""The authored contrast pairs (data/contrast/DATASHEET.md tells the whole protocol).

  .venv/bin/python scripts/contrast_pairs.py blind OUT_DIR
      every author's pairs (OUT_DIR/authored/author_NN.jsonl) shuffled into keyed batches for
      blind annotators (OUT_DIR/batches/batch_NN.jsonl: {key, text}, no pair, side or label)
      and OUT_DIR/index.jsonl (key -> author, pair, side, the author's labels)
  .venv/bin/python scripts/contrast_pairs.py disputed OUT_DIR
      the items where the blind annotator (OUT_DIR/votes/batch_NN.B.jsonl) and the author
      split on a label or the annotator marked borderline, for a blind adjudicator
      (OUT_DIR/adjudication/contrast.input.jsonl; the adjudicator writes contrast.C.jsonl)
  .venv/bin/python scripts/contrast_pairs.py gold OUT_DIR
      author + annotator (+ adjudicator) -> data/contrast/pairs.jsonl (corpus rows, one group
      per pair) and data/contrast/agreement.json (Cohen's kappa author-annotator per label)
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
from real_annotation import read_jsonl, vote_string, write_jsonl  # noqa: E402  (the real corpus's twins)

from khitab.data.real.agreement import LABELS, cohen_kappa, gold  # noqa: E402  (after sys.path)
from khitab.io import write_text_atomic  # noqa: E402

N_BATCHES = 8
CONTRAST = ROOT / "data" / "contrast"
# The authors' dialect names -> the corpus's closed set (khitab.data.corpus.DIALECTS)
DIALECT = {
    "msa": "msa", "egyptian": "egyptian", "iraqi": "iraqi", "gulf": "gulf", "levantine": "levantine",
    "maghrebi": "maghrebi", **{d: "levantine" for d in ("lebanese", "syrian", "palestinian", "jordanian")},
    **{d: "gulf" for d in ("saudi", "kuwaiti", "emirati", "omani", "yemeni", "qatari", "bahraini")},
    **{d: "maghrebi" for d in ("algerian", "moroccan", "tunisian", "libyan", "darija")},
}


def authored_items(out: Path) -> list[dict]:
    """Every authored text, checked: a pair id, a side, a text and 0/1 for each label."""
    items = []
    for path in sorted((out / "authored").glob("author_*.jsonl")):
        for number, row in enumerate(read_jsonl(path), 1):
            missing = [f for f in ("pair", "side", "text", *LABELS) if f not in row]
            bad = [x for x in LABELS if row.get(x) not in (0, 1)]
            if missing or bad or not str(row.get("text", "")).strip():
                sys.exit(f"{path}:{number}: missing {missing} / not 0-1 {bad} / empty text")
            items.append({**row, "author": path.stem.split("_")[1]})
    return items


def blind(out: Path, seed: int = 7) -> None:
    items = authored_items(out)
    random.Random(seed).shuffle(items)
    index = []
    for i, item in enumerate(items):
        key = f"k{i + 1:04d}"
        index.append({"key": key, **{f: item[f] for f in ("author", "pair", "side", *LABELS)},
                      "case": item.get("case", ""), "dialect": item.get("dialect", "")})
        item["key"] = key
    size = -(-len(items) // N_BATCHES)
    (out / "batches").mkdir(parents=True, exist_ok=True)
    for b in range(N_BATCHES):
        write_jsonl(out / "batches" / f"batch_{b + 1:02d}.jsonl",
                    [{"key": it["key"], "text": it["text"]} for it in items[b * size:(b + 1) * size]])
    write_jsonl(out / "index.jsonl", index)
    print(len(items), "items from", len({it["author"] for it in items}), "authors in", N_BATCHES, "batches")


def votes(out: Path) -> tuple[dict, dict, dict]:
    """(author votes, annotator votes, adjudicator votes) by key."""
    author = {r["key"]: r for r in read_jsonl(out / "index.jsonl")}
    annotator = {}
    for path in sorted((out / "votes").glob("batch_*.B.jsonl")):
        annotator.update({r["key"]: r for r in read_jsonl(path)})
    adjudicated = out / "adjudication" / "contrast.C.jsonl"
    third = {r["key"]: r for r in read_jsonl(adjudicated)} if adjudicated.is_file() else {}
    return author, annotator, third


def split_on(a: dict, b: dict) -> bool:
    return any(int(a[x]) != int(b[x]) for x in LABELS) or bool(b.get("borderline"))


def batch_texts(out: Path) -> dict[str, str]:
    """Each key's text, from the batches the annotators read."""
    return {r["key"]: r["text"] for p in sorted((out / "batches").glob("batch_*.jsonl")) for r in read_jsonl(p)}


def disputed(out: Path) -> None:
    author, annotator, _ = votes(out)
    texts = batch_texts(out)
    missing = sorted(set(author) - set(annotator))
    if missing:
        sys.exit(f"{len(missing)} items have no annotator vote yet (first: {missing[0]})")
    rows = [{"key": k, "text": texts[k]} for k in author if split_on(author[k], annotator[k])]
    (out / "adjudication").mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "adjudication" / "contrast.input.jsonl", rows)
    print(len(rows), "of", len(author), "items for the adjudicator")


def gold_rows(out: Path) -> tuple[list[dict], dict]:
    """Corpus rows (one group per pair) and the agreement between author and annotator."""
    author, annotator, third = votes(out)
    texts = batch_texts(out)
    rows, pairs = [], {x: ([], []) for x in LABELS}
    for key, a in sorted(author.items(), key=lambda kv: (kv[1]["pair"], kv[1]["side"])):
        b = annotator[key]
        c = third.get(key) if split_on(a, b) else None
        if split_on(a, b) and c is None:
            sys.exit(f"{key}: author and annotator split and no adjudicator vote")
        # the author's intent counts as a vote, never as a borderline flag
        decided = gold({**a, "borderline": False}, b, c)
        for x in LABELS:
            pairs[x][0].append(int(a[x]))
            pairs[x][1].append(int(b[x]))
        dialect = DIALECT.get(str(a.get("dialect", "")).lower())  # Sudanese has no name in the set
        rows.append({
            "id": f"contrast-{a['pair']}{a['side']}", "text": texts[key], **decided["labels"],
            **({"dialect": dialect} if dialect else {}),
            "register": "news" if a.get("dialect") == "msa" else "social",
            "source": "authored", "group": f"contrast-{a['pair']}", "borderline": decided["borderline"],
            "note": f"{a.get('case', '')}; votes A {vote_string(a)} B {vote_string(b)}"
                    + (f" C {vote_string(c)}" if c is not None else ""),
        })
    agreement = {x: {"kappa": round(cohen_kappa(*pairs[x]), 3), "author_positives": sum(pairs[x][0]),
                     "annotator_positives": sum(pairs[x][1]),
                     "splits": sum(p != q for p, q in zip(*pairs[x]))} for x in LABELS}
    agreement["items"] = len(rows)
    agreement["adjudicated"] = sum(split_on(author[k], annotator[k]) for k in author)
    return rows, agreement


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("blind", "disputed", "gold"):
        sys.exit(__doc__)
    out = Path(argv[1])
    if argv[0] == "blind":
        blind(out)
    elif argv[0] == "disputed":
        disputed(out)
    else:
        rows, agreement = gold_rows(out)
        write_jsonl(CONTRAST / "pairs.jsonl", rows)
        write_text_atomic(CONTRAST / "agreement.json", json.dumps(agreement, indent=2) + "\n")
        print(json.dumps(agreement))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
