"""`khitab data stats`: what the training data holds, per label, source, split and more."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from khitab.data.schema import Example
from khitab.data.splits import split_of
from khitab.data.validate import label_cooccurrence


def corpus_stats(examples: Sequence[Example], labels: Sequence[str]) -> dict:
    """Counts as plain data (printed as tables by the CLI, or dumped as JSON)."""
    def per_label(rows: Sequence[Example]) -> dict:
        return {
            label: {
                "known": sum(ex.labels.get(label) is not None for ex in rows),
                "positive": sum(ex.labels.get(label) == 1 for ex in rows),
            }
            for label in labels
        }

    by_split = {name: [ex for ex in examples if split_of(ex.group) == name] for name in ("train", "dev", "test")}
    by_source = Counter(ex.source for ex in examples)
    by_slice = Counter(ex.meta.get("slice", "") for ex in examples)
    negatives = sum(all(ex.labels.get(label) == 0 for label in labels) for ex in examples)
    combos = Counter(
        "+".join(label for label in labels if ex.labels.get(label) == 1) or "none"
        for ex in examples
        if all(ex.labels.get(label) is not None for label in labels)
    )
    lengths = sorted(len(ex.text.split()) for ex in examples)
    return {
        "rows": len(examples),
        "groups": len({ex.group for ex in examples}),
        "borderline": sum(ex.borderline for ex in examples),
        "all_negative": negatives,
        "labels": per_label(examples),
        "splits": {name: {"rows": len(rows), "labels": per_label(rows)} for name, rows in by_split.items()},
        "sources": {
            name: {"rows": count, "labels": per_label([ex for ex in examples if ex.source == name])}
            for name, count in sorted(by_source.items())
        },
        "slices": {
            name: {"rows": count, "labels": per_label([ex for ex in examples if ex.meta.get("slice", "") == name])}
            for name, count in sorted(by_slice.items())
            if name
        },
        "dialects": dict(Counter(ex.dialect or "unknown" for ex in examples).most_common()),
        "registers": dict(Counter(ex.register or "unknown" for ex in examples).most_common()),
        "combinations": dict(combos.most_common()),
        "cooccurrence": {
            a: {b: int(n) for b, n in zip(labels, row)} for a, row in zip(labels, label_cooccurrence(examples, labels))
        },
        "words": {
            "min": lengths[0] if lengths else 0,
            "median": lengths[len(lengths) // 2] if lengths else 0,
            "max": lengths[-1] if lengths else 0,
        },
    }
