#!/usr/bin/env python3
"""Voice-and-speaker gold for issue 21 (data/real/voice.jsonl), drawn from the real corpus.

  .venv/bin/python scripts/voice_annotation.py sample EXTERNAL_ROOT OUT_DIR [--wave N]
      draw the sample: OUT_DIR/items.jsonl ({key, text, context}: what annotators read; texts
      stay out of git) and OUT_DIR/index.jsonl (key -> real-corpus id). A wave after the first
      draws only items no earlier wave holds (cells smaller than asked are taken whole), so
      it measures rules written before it was drawn
  .venv/bin/python scripts/voice_annotation.py disputed OUT_DIR
      the items annotators A and B split on (voice, or speaker text), for a blind third
  .venv/bin/python scripts/voice_annotation.py gold OUT_DIR
      votes (+ adjudication) -> data/real/voice.jsonl (this wave's rows replaced, other waves
      kept) and data/real/voice_agreement.json (agreement per wave)
  .venv/bin/python scripts/voice_annotation.py score EXTERNAL_ROOT [--split train,dev|test] [--wave N]
      how the voice rules (khitab/explain/voice.py) do on that gold (JSON: accuracy per class,
      by register, split and wave), on every item or on the splits / wave named
  .venv/bin/python scripts/voice_annotation.py errors EXTERNAL_ROOT
      the train and dev items of every wave the rules get wrong (JSON lines), to develop the
      rules on (a wave is read only after its accuracy was measured fresh); test items are
      never printed, so test accuracy stays an honest estimate

The sample: real-corpus items, news and social, half of each with at least one positive label
(voice matters most where something is flagged), half without; a news sentence carries its
paragraph as context, because a quotation often opens a sentence earlier.
"""
from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

from khitab.data.real.agreement import cohen_kappa
from khitab.data.real.corpus import read_label_rows, text_digest

ROOT = Path(__file__).resolve().parent.parent
LABELS_PATH = ROOT / "data" / "real" / "labels.jsonl"
VOICES = ("author", "quoted", "reported")
# (register, any positive label, ArMPro paragraph sentence): every news positive there is (92),
# and ArMPro's wire sentences over-drawn, since they carry most of the quoted and reported speech
PER_CELL = {("news", 1, True): 30, ("news", 1, False): 62, ("news", 0, True): 70, ("news", 0, False): 40,
            ("social", 1, False): 70, ("social", 0, False): 70}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def paragraphs(external_root: Path) -> dict[str, str]:
    """ArMPro paragraph id -> text, so a news sentence can be shown inside its paragraph."""
    from khitab.data.external import ADAPTERS

    return {ex.id: ex.text for ex in ADAPTERS["armpro"](external_root)}


def options_of(options: tuple[str, ...], allowed: tuple[str, ...], usage: str) -> dict[str, str]:
    if len(options) % 2 or any(name not in allowed for name in options[::2]):
        sys.exit(f"usage: {usage}")
    return dict(zip(options[::2], options[1::2]))


def gold_rows() -> list[dict]:
    path = ROOT / "data" / "real" / "voice.jsonl"
    return read_jsonl(path) if path.exists() else []


def sample(external_root: str, out: str, *options: str) -> None:
    from khitab.data.real.units import real_units

    wave = int(options_of(options, ("--wave",), "sample EXTERNAL_ROOT OUT_DIR [--wave N]").get("--wave", 1))
    taken = {r["id"] for r in gold_rows() if int(r.get("wave", 1)) != wave}
    root = Path(external_root)
    units = {u.id: u for u in real_units(root)}
    paras = paragraphs(root)
    cells: dict[tuple[str, int, bool], list[dict]] = {cell: [] for cell in PER_CELL}
    for row in read_label_rows(LABELS_PATH):
        positive = int(any(v == 1 for v in row["labels"].values()))
        if row["id"] not in taken:
            cells[(row["register"], positive, row["source"] == "armpro")].append(row)
    # wave 1 keeps its original seed, so its draw stays reproducible
    rng = random.Random(2112 if wave == 1 else 2112 + wave)
    drawn = [row for cell, n in PER_CELL.items() for row in rng.sample(cells[cell], min(n, len(cells[cell])))]
    rng.shuffle(drawn)
    items, index = [], []
    for i, row in enumerate(drawn):
        unit = units[row["id"]]
        pid, _, span = row["id"].partition("#")
        context = ""
        if span and pid in paras:
            start, end = (int(x) for x in span.split("-"))
            para = paras[pid]
            context = para[:start] + "⟦" + para[start:end] + "⟧" + para[end:]
        key = f"v{i + 1:04d}" if wave == 1 else f"w{wave}-{i + 1:04d}"
        items.append({"key": key, "text": unit.text, "context": context})
        index.append({"key": key, "id": row["id"], "sha1": text_digest(unit.text),
                      "register": row["register"], "source": row["source"], "split": split_of(row),
                      "wave": wave})
    write_jsonl(Path(out) / "items.jsonl", items)
    write_jsonl(Path(out) / "index.jsonl", index)
    print(len(items), Counter((r["register"], r["source"]) for r in index))


def split_of(row: dict) -> str:
    from khitab.data.real.corpus import real_split

    return real_split(row["group"])


def votes(out: Path, who: str) -> dict[str, dict]:
    return {r["key"]: r for r in read_jsonl(out / f"votes.{who}.jsonl")}


def same(a: dict, b: dict) -> bool:
    return a["voice"] == b["voice"] and (a.get("speaker") or None) == (b.get("speaker") or None)


def disputed(out: str) -> None:
    out_dir = Path(out)
    a, b = votes(out_dir, "A"), votes(out_dir, "B")
    items = {r["key"]: r for r in read_jsonl(out_dir / "items.jsonl")}
    rows = [items[k] for k in sorted(a) if not same(a[k], b[k])]
    write_jsonl(out_dir / "disputed.jsonl", rows)
    print(f"{len(rows)} of {len(a)} items disputed -> {out_dir / 'disputed.jsonl'}")


def gold(out: str) -> None:
    out_dir = Path(out)
    a, b = votes(out_dir, "A"), votes(out_dir, "B")
    c_path = out_dir / "votes.C.jsonl"
    c = votes(out_dir, "C") if c_path.exists() else {}
    index = read_jsonl(out_dir / "index.jsonl")
    missing = [r["key"] for r in index if r["key"] not in a or r["key"] not in b]
    if missing:
        sys.exit(f"votes missing for {len(missing)} items, e.g. {missing[:5]}")
    rows = []
    for r in index:
        va, vb = a[r["key"]], b[r["key"]]
        agreed = same(va, vb)
        final = va if agreed else c.get(r["key"])
        if final is None:
            sys.exit(f"{r['key']}: A and B differ and no adjudication (votes.C.jsonl)")
        rows.append({"id": r["id"], "sha1": r["sha1"], "register": r["register"], "source": r["source"],
                     "split": r["split"], "wave": r.get("wave", 1), "voice": final["voice"],
                     "speaker": final.get("speaker") or None,
                     "speaker_in": final.get("speaker_in") if final.get("speaker") else None,
                     "votes": {"A": va["voice"], "B": vb["voice"], **({} if agreed else {"C": final["voice"]})},
                     "note": final.get("note", "")})
    wave = int(index[0].get("wave", 1))
    others = [r for r in gold_rows() if int(r.get("wave", 1)) != wave]
    write_jsonl(ROOT / "data" / "real" / "voice.jsonl", others + rows)
    keys = [r["key"] for r in index]
    kappa = cohen_kappa([VOICES.index(a[k]["voice"]) for k in keys], [VOICES.index(b[k]["voice"]) for k in keys])
    speaker_agree = sum((a[k].get("speaker") or None) == (b[k].get("speaker") or None) for k in keys) / len(keys)
    report = {"items": len(rows), "voice_kappa_AB": round(kappa, 3),
              "voice_raw_agreement_AB": round(sum(a[k]["voice"] == b[k]["voice"] for k in keys) / len(keys), 3),
              "speaker_exact_agreement_AB": round(speaker_agree, 3),
              "adjudicated": sum(not same(a[k], b[k]) for k in keys),
              "voices": dict(Counter(r["voice"] for r in rows))}
    agreement_path = ROOT / "data" / "real" / "voice_agreement.json"
    waves = json.loads(agreement_path.read_text(encoding="utf-8")).get("waves", {}) if agreement_path.exists() else {}
    waves[str(wave)] = report
    summary = {"items": len(others) + len(rows), "waves": dict(sorted(waves.items()))}
    agreement_path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report))


DEVELOPMENT_SPLITS = ("train", "dev")


def gold_items(external_root: str, splits: tuple[str, ...] | None = None, wave: int | None = None) -> list:
    from khitab.data.real.voice import load_voice_items

    items = load_voice_items(ROOT / "data" / "real" / "voice.jsonl", Path(external_root))
    return [i for i in items if (splits is None or i.split in splits) and (wave is None or i.wave == wave)]


def score(external_root: str, *options: str) -> None:
    from khitab.evaluation.voice import voice_report

    chosen = options_of(options, ("--split", "--wave"), "score EXTERNAL_ROOT [--split train,dev] [--wave N]")
    splits = tuple(chosen["--split"].split(",")) if "--split" in chosen else None
    wave = int(chosen["--wave"]) if "--wave" in chosen else None
    print(json.dumps(voice_report(gold_items(external_root, splits, wave)), indent=2))


def errors(external_root: str) -> None:
    from khitab.evaluation.voice import voice_errors

    # every wave's train and dev items: each wave's accuracy was measured fresh before its items
    # were read; test items are never printed, so test accuracy stays an honest estimate
    for row in voice_errors(gold_items(external_root, DEVELOPMENT_SPLITS)):
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"sample": sample, "disputed": disputed, "gold": gold, "score": score, "errors": errors}[command](*args)
