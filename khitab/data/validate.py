"""`khitab data validate`: schema, text quality, duplicates and leaks between splits.

Errors fail validation (CI runs it on the authored corpus); warnings are printed only.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from khitab.data.corpus import DataError, load_corpus
from khitab.data.schema import Example
from khitab.data.splits import split_of
from khitab.text.language import arabic_ratio
from khitab.text.normalize import fold_orthography

NEAR_DUPLICATE_COSINE = 0.75
MIN_ARABIC_RATIO = 0.5
MIN_WORDS, MAX_WORDS = 3, 60
HELD_OUT_SPAN = 5  # words; shorter spans are stock phrases ("in the city of ...")
_WORD = re.compile(r"\w+")


@dataclass
class Report:
    rows: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_corpus(path: Path, labels: Sequence[str], held_out: Sequence[Path] = ()) -> Report:
    """Check the corpus; ``held_out`` texts (the seed articles) must share no
    ``HELD_OUT_SPAN``-word span with any row, so they stay an unseen check."""
    report, examples = checked_rows(path, labels, held_out)
    check_duplicates(examples, report)
    return report


def validate_contrast(path: Path, labels: Sequence[str], held_out: Sequence[Path] = (),
                      evaluation_texts: Sequence[str] = ()) -> Report:
    """Check the authored contrast pairs (training rows only, so no split leaks among them): the
    schema, duplicates, the held-out seed spans, and no near-copy of an evaluation text (the real
    dev and test items), which would leak the measure into training."""
    report, examples = checked_rows(path, labels, held_out)
    if not examples:
        return report
    folded = [fold_orthography(ex.text) for ex in examples]
    check_exact_duplicates(examples, folded, report)
    evaluation = [fold_orthography(text) for text in evaluation_texts]
    for i, j, cosine in near_duplicate_pairs(folded + evaluation):
        if i < len(folded) <= j:
            report.errors.append(f"{examples[i].id}: text: near-copy (cosine {cosine:.2f}) of an evaluation "
                                 f"item: {evaluation_texts[j - len(folded)][:60]!r}")
    return report


def checked_rows(path: Path, labels: Sequence[str], held_out: Sequence[Path]) -> tuple[Report, list[Example]]:
    """The rows of a corpus file or folder and a report of what every labeled set is checked for:
    the schema, each row's text and labels, and no span of a held-out text (no rows when the
    schema fails)."""
    report = Report()
    try:
        examples = load_corpus(path, labels)
    except DataError as exc:
        report.errors.extend(exc.problems)
        return report, []
    report.rows = len(examples)
    check_rows(examples, labels, report)
    for held in held_out:
        check_held_out(examples, held, report)
    return report, examples


def check_exact_duplicates(examples: Sequence[Example], folded: Sequence[str], report: Report) -> None:
    """Two rows with the same text once spelling is folded are an error, naming the first."""
    first_seen: dict[str, int] = {}
    for i, text in enumerate(folded):
        if text in first_seen:
            report.errors.append(f"{examples[i].id}: text: duplicate of {examples[first_seen[text]].id}")
        else:
            first_seen[text] = i


def check_rows(examples: Sequence[Example], labels: Sequence[str], report: Report) -> None:
    ids: dict[str, int] = defaultdict(int)
    for ex in examples:
        ids[ex.id] += 1
        ratio = arabic_ratio(ex.text)
        if ratio < MIN_ARABIC_RATIO:
            report.errors.append(f"{ex.id}: text: not Arabic (Arabic letters {ratio:.0%})")
        words = len(ex.text.split())
        if not MIN_WORDS <= words <= MAX_WORDS:
            report.warnings.append(f"{ex.id}: text: {words} words, outside {MIN_WORDS}-{MAX_WORDS}")
        if all(ex.labels.get(label) is None for label in labels):
            report.errors.append(f"{ex.id}: labels: none of {list(labels)} is given")
    report.errors.extend(f"{i}: id: used by {n} rows" for i, n in ids.items() if n > 1)


def check_duplicates(examples: Sequence[Example], report: Report) -> None:
    """Exact duplicates (after orthographic folding) are errors; near-duplicates across
    groups are errors when they sit in different splits (a leak), warnings otherwise."""
    folded = [fold_orthography(ex.text) for ex in examples]
    check_exact_duplicates(examples, folded, report)
    for i, j, cosine in near_duplicate_pairs(folded):
        a, b = examples[i], examples[j]
        if a.group == b.group or folded[i] == folded[j]:
            continue
        where = f"{a.id} ~ {b.id}: near-duplicate texts (cosine {cosine:.2f}) in groups {a.group}, {b.group}"
        if split_of(a.group) != split_of(b.group):
            report.errors.append(f"{where} leak across splits {split_of(a.group)}/{split_of(b.group)}")
        else:
            report.warnings.append(where)


def check_held_out(examples: Sequence[Example], held: Path, report: Report, span: int = HELD_OUT_SPAN) -> None:
    """A row that repeats a span of a held-out text (after orthographic folding) is an error."""
    spans = set(word_spans(held.read_text(encoding="utf-8"), span))
    for ex in examples:
        shared = next((s for s in word_spans(ex.text, span) if s in spans), None)
        if shared:
            report.errors.append(f"{ex.id}: text: repeats {' '.join(shared)!r} from held-out {held}")


def word_spans(text: str, span: int) -> list[tuple[str, ...]]:
    words = _WORD.findall(fold_orthography(text))
    return [tuple(words[i:i + span]) for i in range(len(words) - span + 1)]


def near_duplicate_pairs(texts: Sequence[str], threshold: float = NEAR_DUPLICATE_COSINE):
    """(i, j, cosine) for i < j whose character 3-5-gram TF-IDF vectors are this close."""
    if len(texts) < 2:
        return []
    vectors = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(texts)
    pairs = []
    block = 2000
    for begin in range(0, vectors.shape[0], block):
        sims = (vectors[begin:begin + block] @ vectors.T).tocoo()
        for i, j, value in zip(sims.row + begin, sims.col, sims.data):
            if i < j and value >= threshold:
                pairs.append((int(i), int(j), float(value)))
    return sorted(pairs)


def label_cooccurrence(examples: Sequence[Example], labels: Sequence[str]) -> np.ndarray:
    """Counts of rows positive for both labels i and j (diagonal: positives of i)."""
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for ex in examples:
        positive = [k for k, label in enumerate(labels) if ex.labels.get(label) == 1]
        for a in positive:
            for b in positive:
                matrix[a, b] += 1
    return matrix
