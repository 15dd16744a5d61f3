#!/usr/bin/env python3
"""The real-text annotation workflow (data/real/DATASHEET.md tells the whole protocol).

  .venv/bin/python scripts/real_annotation.py sample EXTERNAL_ROOT OUT_DIR [--wave N]
      draw the stratified sample and write OUT_DIR/batches/batch_NN.jsonl ({key, text}, what
      annotators read) and OUT_DIR/index.jsonl (key -> source id, stratum; annotators never see it).
      A wave after the first draws only units no labeled row holds (quotas: sampling.WAVE_QUOTAS)
  .venv/bin/python scripts/real_annotation.py sample EXTERNAL_ROOT OUT_DIR --wave N --model BUNDLE
      an active-learning wave (sampling.ACTIVE_QUOTAS): unlabeled train-split units among those
      BUNDLE scores highest per label, plus train units at random; dev and test stay as they are
  .venv/bin/python scripts/real_annotation.py disputed OUT_DIR NAME BATCH...
      the items two annotators split on, for a third (OUT_DIR/adjudication/NAME.input.jsonl)
  .venv/bin/python scripts/real_annotation.py gold OUT_DIR [OUT_DIR ...]
      votes + adjudications of every wave's folder -> data/real/labels.jsonl and
      data/real/agreement.json (kappa per label, over all items and per wave); the re-reads of
      data/real/rereads.jsonl (a later ruling's decisions, agreement.reread) are applied last
  .venv/bin/python scripts/real_annotation.py add OUT_DIR
      one new wave's votes + adjudications folded into the committed data/real/labels.jsonl, and
      data/real/agreement.json recomputed from the votes every gold row keeps (no older wave's
      folder needed); a row of that wave already there is replaced
  .venv/bin/python scripts/real_annotation.py rereads REREAD_DIR RULING LABEL [LABEL ...]
      three independent re-reads of the labeled items a ruling covers (REREAD_DIR/index.jsonl:
      key -> id; REREAD_DIR/reread.{A,B,C}.jsonl: key -> labels, note), majority -> data/real/rereads.jsonl
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from khitab.data.real.agreement import LABELS, agreement_from_votes, gold, reread, wave_of
from khitab.data.real.corpus import text_digest
from khitab.io import LineError, iter_jsonl, write_text_atomic

ROOT = Path(__file__).resolve().parent.parent
N_BATCHES, RANDOM_N, NEWS_N = 8, 2200, 500
REREADS = ROOT / "data" / "real" / "rereads.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    """Every row of an annotation file; a line that is not JSON stops the run, naming it."""
    rows = []
    for number, row in iter_jsonl(path):
        if isinstance(row, LineError):
            sys.exit(f"{path}:{number}: {row.reason}")
        rows.append(row)
    return rows


def write_jsonl(path: Path, rows) -> None:
    write_text_atomic(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def sample(external_root: str, out: str, wave: int = 1, model: str | None = None) -> None:
    from khitab.data.real.sampling import draw, strata_counts
    from khitab.data.real.units import real_units

    units = real_units(Path(external_root))
    drawn = draw(units, RANDOM_N, NEWS_N) if wave == 1 else later_wave(units, wave, model)
    random.Random(7).shuffle(drawn)
    size = -(-len(drawn) // N_BATCHES)
    prefix = "" if wave == 1 else f"w{wave}"
    index = []
    for b in range(N_BATCHES):
        rows = []
        for i, s in enumerate(drawn[b * size:(b + 1) * size]):
            key = f"{prefix}b{b + 1:02d}-{i + 1:04d}"
            rows.append({"key": key, "text": s.unit.text})
            index.append({"key": key, "id": s.unit.id, "source": s.unit.source, "stratum": s.stratum,
                          "group": s.unit.group, "register": s.unit.register, "wave": wave})
        write_jsonl(Path(out) / "batches" / f"batch_{b + 1:02d}.jsonl", rows)
    write_jsonl(Path(out) / "index.jsonl", index)
    print(len(drawn), dict(strata_counts(drawn)))


def later_wave(units, wave: int, model: str | None):
    """A wave after the first: only units no labeled row holds, by the model's ranking (active
    waves) or by strata (``WAVE_QUOTAS``)."""
    from khitab.data.real.corpus import read_label_rows
    from khitab.data.real.sampling import ACTIVE_QUOTAS, WAVE_QUOTAS, WAVE_SPLIT, draw, draw_active

    labeled = frozenset(r["id"] for r in read_label_rows(ROOT / "data" / "real" / "labels.jsonl"))
    if model is not None:
        from khitab import load_model
        from khitab.data.real.corpus import real_split

        classifier = load_model(model)
        quotas, random_n = ACTIVE_QUOTAS[wave]
        # draw_active reads only unlabeled train units, so only those are scored (an encoder
        # member scores the ~24,000 left in minutes, not the 59,000 in all)
        units = [u for u in units if u.id not in labeled and real_split(u.group) == "train"]
        probs = classifier.predict_proba([u.text for u in units])
        return draw_active(units, probs, classifier.labels, quotas, random_n, seed=2026 + wave, exclude=labeled)
    proxies, cues, news_n, random_n = WAVE_QUOTAS[wave]
    return draw(units, random_n, news_n, seed=2026 + wave, proxy_quotas=proxies, cue_quotas=cues,
                exclude=labeled, split=WAVE_SPLIT.get(wave))


def votes_of(out: Path, batch: str) -> tuple[dict, dict]:
    a, b = (read_jsonl(out / "votes" / f"batch_{batch}.{x}.jsonl") for x in "AB")
    return {r["key"]: r for r in a}, {r["key"]: r for r in b}


def split(a: dict, b: dict) -> bool:
    return any(int(a[x]) != int(b[x]) for x in LABELS) or bool(a.get("borderline")) != bool(b.get("borderline"))


def disputed(out: str, name: str, batches: list[str]) -> None:
    out_dir = Path(out)
    rows = []
    for batch in batches:
        a, b = votes_of(out_dir, batch)
        for item in read_jsonl(out_dir / "batches" / f"batch_{batch}.jsonl"):
            if split(a[item["key"]], b[item["key"]]):
                rows.append(item)
    write_jsonl(out_dir / "adjudication" / f"{name}.input.jsonl", rows)
    print(len(rows))


def vote_string(v: dict) -> str:
    return "".join(str(int(v[x])) for x in LABELS) + ("?" if v.get("borderline") else "")


def make_gold(*outs: str) -> None:
    rows = sorted((r for out in outs for r in wave_gold(Path(out))[1]), key=lambda r: r["id"])
    rows = apply_rereads(rows, REREADS)
    agreement = agreement_from_votes(rows)
    if len(outs) == 1:
        del agreement["waves"]  # one wave: the overall numbers are that wave's
    write_gold(rows, agreement)
    print(json.dumps(agreement, indent=1))


def write_gold(rows: list[dict], agreement: dict) -> None:
    write_jsonl(ROOT / "data" / "real" / "labels.jsonl", rows)
    write_text_atomic(ROOT / "data" / "real" / "agreement.json", json.dumps(agreement, indent=1) + "\n")


def add_wave(out: str) -> None:
    """Fold one wave's gold into the committed labels and recompute the agreement from the vote
    strings the rows keep, so a new wave needs only its own folder."""
    wave, new_rows = wave_gold(Path(out))
    kept = [r for r in read_jsonl(ROOT / "data" / "real" / "labels.jsonl") if wave_of(r) != wave]
    taken = {r["id"] for r in kept} & {r["id"] for r in new_rows}
    if taken:
        raise SystemExit(f"{out}: ids already labeled in another wave: {', '.join(sorted(taken)[:5])}")
    new_rows = with_rereads(new_rows, committed_rereads(REREADS))
    rows = sorted(kept + new_rows, key=lambda r: r["id"])
    agreement = agreement_from_votes(rows)
    write_gold(rows, agreement)
    print(len(new_rows), "rows of wave", wave, json.dumps(agreement["waves"][str(wave)]["per_label"]))


def committed_rereads(path: Path) -> dict[str, dict]:
    """The re-read decisions of ``path`` by item id (none when it does not exist yet)."""
    return {d["id"]: d for d in read_jsonl(path)} if path.is_file() else {}


def with_rereads(rows: list[dict], decisions: dict[str, dict]) -> list[dict]:
    """Rows with their re-read decisions applied (kappa stays that of the first two votes)."""
    return [reread(r, decisions[r["id"]]) if r["id"] in decisions else r for r in rows]


def apply_rereads(rows: list[dict], path: Path) -> list[dict]:
    """All of a corpus's rows with the committed re-reads applied; every re-read must find its row."""
    decisions = committed_rereads(path)
    missing = sorted(set(decisions) - {r["id"] for r in rows})
    if missing:
        raise SystemExit(f"{path}: re-read ids with no gold row: {', '.join(missing[:5])}")
    return with_rereads(rows, decisions)


def write_rereads(reread_dir: str, ruling: str, *labels: str) -> None:
    """Three independent re-readers per item (REREAD_DIR/reread.{A,B,C}.jsonl), decided by the
    gold rule (A and B where they agree, C where they split: the majority of three)."""
    folder = Path(reread_dir)
    ids = {r["key"]: r["id"] for r in read_jsonl(folder / "index.jsonl")}
    readers = [{r["key"]: r for r in read_jsonl(path)} for path in sorted(folder.glob("reread.*.jsonl"))]
    if len(readers) != 3 or any(r.keys() != ids.keys() for r in readers):
        raise SystemExit(f"{folder}: needs three complete re-reads (reread.A/B/C.jsonl), one line per key")
    out = []
    for key, item_id in ids.items():
        votes = [r[key] for r in readers]
        out.append({"id": item_id, "ruling": ruling, "labels": gold(*votes, labels=labels)["labels"],
                    "votes": ["".join(str(int(v[x])) for x in labels) for v in votes],
                    "note": " | ".join(v.get("note", "") for v in votes)})
    previous = [d for d in read_jsonl(REREADS) if d["ruling"] != ruling] if REREADS.is_file() else []
    write_jsonl(REREADS, sorted(previous + out, key=lambda d: d["id"]))
    print(len(out), "re-reads of", ruling, sum(len(set(d["votes"])) > 1 for d in out), "items split")
    rows = fold_ruling(read_jsonl(ROOT / "data" / "real" / "labels.jsonl"), {d["id"]: d for d in out})
    write_gold(rows, agreement_from_votes(rows))


def fold_ruling(rows: list[dict], decisions: dict[str, dict]) -> list[dict]:
    """The committed gold rows with one ruling's re-read decisions applied; a row that already
    carries that ruling's re-read is first put back as it was, so folding a ruling twice changes
    nothing. Every decision must find its row."""
    missing = sorted(set(decisions) - {r["id"] for r in rows})
    if missing:
        raise SystemExit(f"re-read ids with no gold row: {', '.join(missing[:5])}")
    out = []
    for row in rows:
        decision = decisions.get(row["id"])
        if decision is None:
            out.append(row)
            continue
        done = row.get("reread")
        if done and done["ruling"] == decision["ruling"]:
            row = {k: v for k, v in row.items() if k != "reread"} | {"labels": {**row["labels"], **done["was"]}}
        elif done:
            raise SystemExit(f"{row['id']}: already re-read under {done['ruling']}; one ruling per item")
        out.append(reread(row, decision))
    return out


def wave_gold(out_dir: Path) -> tuple[int, list[dict]]:
    """One wave's folder: its wave number and its gold rows (each keeping its A and B votes)."""
    index = {r["key"]: r for r in read_jsonl(out_dir / "index.jsonl")}
    wave = wave_of(next(iter(index.values())))
    texts = {}
    for path in sorted((out_dir / "batches").glob("batch_*.jsonl")):
        texts.update({r["key"]: r["text"] for r in read_jsonl(path)})
    third = {}
    for path in sorted((out_dir / "adjudication").glob("*.C.jsonl")):
        third.update({r["key"]: r for r in read_jsonl(path)})
    rows = []
    for path in sorted((out_dir / "votes").glob("batch_*.A.jsonl")):
        batch = path.name.split(".")[0].split("_")[1]
        if not (out_dir / "votes" / f"batch_{batch}.B.jsonl").is_file():
            continue
        a, b = votes_of(out_dir, batch)
        if a.keys() != b.keys() or len(a) != len(read_jsonl(out_dir / "batches" / f"batch_{batch}.jsonl")):
            print(f"batch {batch}: votes incomplete, skipped")
            continue
        for key in a:
            c = third.get(key) if split(a[key], b[key]) else None
            if split(a[key], b[key]) and c is None:
                print(f"batch {batch}: {key} awaits adjudication, skipped")
                continue
            g = gold(a[key], b[key], c)
            meta = index[key]
            votes = {"A": vote_string(a[key]), "B": vote_string(b[key])}
            if c is not None:
                votes["C"] = vote_string(c)
            row = {
                "id": meta["id"], "source": meta["source"], "group": meta["group"], "register": meta["register"],
                "stratum": meta["stratum"], "sha1": text_digest(texts[key]), "labels": g["labels"],
                "borderline": g["borderline"], "votes": votes, "adjudicated": g["adjudicated"],
                "note": (c or {}).get("note", ""),
            }
            if wave != 1:
                row["wave"] = wave
            rows.append(row)
    return wave, rows


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    if command == "sample" and len(args) == 2:
        sample(*args)
    elif command == "sample" and len(args) == 4 and args[2] == "--wave":
        sample(args[0], args[1], int(args[3]))
    elif command == "sample" and len(args) == 6 and args[2] == "--wave" and args[4] == "--model":
        sample(args[0], args[1], int(args[3]), args[5])
    elif command == "disputed" and len(args) >= 3:
        disputed(args[0], args[1], args[2:])
    elif command == "rereads" and len(args) >= 3:
        write_rereads(*args)
    elif command == "add" and len(args) == 1:
        add_wave(args[0])
    elif command == "gold" and args:
        make_gold(*args)
    else:
        print(__doc__)
        sys.exit(2)
