"""Explain a document's flags and measure what it costs and how faithful the cues are.

    PYTHONPATH=. python scripts/explain_seed.py [--bundle bundles/default] [--text seeds/elaph_qaani_2022.txt]

Prints the flagged rows with their cues, voice, speaker and targets (JSON lines), then the
seconds scoring took, the extra seconds explaining took (per document and per flagged
sentence), and ERASER faithfulness of the cues (comprehensiveness against random spans of the
same lengths, sufficiency) over every flagged (sentence, label).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from khitab.evaluation.faithfulness import Rationale, faithfulness
from khitab.explain import cues, explain_document
from khitab.explain.cues import MAX_WORDS
from khitab.models.bundle import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", default="bundles/default")
    parser.add_argument("--text", default="seeds/elaph_qaani_2022.txt")
    parser.add_argument("--max-words", type=int, default=MAX_WORDS)
    parser.add_argument("--exhaustive", action="store_true",
                        help="score every phrase of every sentence (the search before it had two stages), "
                             "to compare cost and faithfulness")
    args = parser.parse_args()
    if args.exhaustive:  # phrases around every word, uncapped: every candidate span is scored
        cues.TOP_WORDS, cues.MAX_PHRASES = 10**6, 10**6
    model = load_model(args.bundle)
    document = Path(args.text).read_text(encoding="utf-8")
    began = time.perf_counter()
    scored = model.score_document(document)
    scoring = time.perf_counter() - began
    calls: list[int] = []
    predict = model.predict_proba

    def counted(texts):  # what explaining costs in model inputs, independent of the machine
        calls.append(len(texts))
        return predict(texts)

    model.predict_proba = counted
    began = time.perf_counter()
    rows = explain_document(model, document, scored, max_words=args.max_words)
    explaining = time.perf_counter() - began
    model.predict_proba = predict
    flagged = [row for row in rows if row["flagged"]]
    for row in flagged:
        print(json.dumps({k: row[k] for k in row if k not in ("doc_id", "sentence")}, ensure_ascii=False))
    rationales = [
        Rationale(document, row["start"], row["end"], label, tuple((c["start"], c["end"]) for c in cues))
        for row in flagged for label, cues in row["cues"].items() if cues
    ]
    print(json.dumps({
        "sentences": len(rows), "flagged": len(flagged), "max_words": args.max_words,
        "exhaustive": args.exhaustive,
        "scoring_s": round(scoring, 2), "explain_extra_s": round(explaining, 2),
        "explain_extra_s_per_flagged": round(explaining / max(1, len(flagged)), 2),
        "explain_calls": len(calls), "explain_variants": sum(calls),
        "faithfulness": faithfulness(model, rationales, seed=0),
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
