"""Baseline: character n-gram TF-IDF + one logistic regression per label.

Saved without pickle: the vocabulary as JSON, idf and linear weights as NPZ, so loading a
bundle never executes code from it.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from khitab.config import TfidfConfig
from khitab.models.base import SentenceClassifier, manifest_fields
from khitab.text.normalize import fold_orthography

VECTORIZER_FILE = "vectorizer.json"
WEIGHTS_FILE = "tfidf_weights.npz"


@dataclass
class TfidfClassifier(SentenceClassifier):
    vectorizer: TfidfVectorizer | None = None
    coef: np.ndarray | None = None  # (labels, features)
    intercept: np.ndarray | None = None  # (labels,)

    kind: ClassVar[str] = "tfidf"

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        features = self.vectorizer.transform([fold_orthography(t) for t in texts])
        return np.asarray(features @ self.coef.T) + self.intercept

    def save_weights(self, directory: Path) -> dict[str, Any]:
        params = {
            key: value
            for key, value in self.vectorizer.get_params().items()
            if key in ("analyzer", "ngram_range", "sublinear_tf", "lowercase", "norm", "use_idf", "smooth_idf")
        }
        vocabulary = {term: int(index) for term, index in self.vectorizer.vocabulary_.items()}
        (directory / VECTORIZER_FILE).write_text(
            json.dumps({"params": params, "vocabulary": vocabulary}, ensure_ascii=False), encoding="utf-8"
        )
        # float32 halves the file; scores move by ~1e-7, far below any threshold's resolution.
        np.savez_compressed(
            directory / WEIGHTS_FILE,
            idf=self.vectorizer.idf_.astype(np.float32),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept,
        )
        return {"files": [VECTORIZER_FILE, WEIGHTS_FILE]}

    @classmethod
    def load(cls, directory: Path, manifest: dict[str, Any], load_bundle=None) -> TfidfClassifier:
        spec = json.loads((directory / VECTORIZER_FILE).read_text(encoding="utf-8"))
        params = dict(spec["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        vectorizer = TfidfVectorizer(**params)
        vectorizer.vocabulary_ = spec["vocabulary"]
        with np.load(directory / WEIGHTS_FILE, allow_pickle=False) as weights:
            vectorizer.idf_ = weights["idf"]
            coef, intercept = weights["coef"], weights["intercept"]
        return cls(vectorizer=vectorizer, coef=coef, intercept=intercept, **manifest_fields(manifest))


def fit_tfidf(
    texts: Sequence[str],
    targets: np.ndarray,
    known: np.ndarray,
    labels: Sequence[str],
    config: TfidfConfig,
    name: str,
    sample_weight: np.ndarray | None = None,
    seed: int = 0,
) -> TfidfClassifier:
    """Fit the vectorizer on all texts, then one classifier per label on the rows where that
    label is known (unknown labels are masked, never read as negatives)."""
    vectorizer = TfidfVectorizer(
        analyzer=config.analyzer,
        ngram_range=(config.ngram_min, config.ngram_max),
        max_features=config.max_features,
        min_df=config.min_df,
        sublinear_tf=config.sublinear_tf,
        lowercase=False,
    )
    features = vectorizer.fit_transform([fold_orthography(t) for t in texts])
    weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    coef = np.zeros((len(labels), features.shape[1]))
    intercept = np.zeros(len(labels))
    for j, label in enumerate(labels):
        rows = known[:, j]
        y = targets[rows, j]
        if len(np.unique(y)) < 2:
            raise ValueError(f"label {label!r}: training data needs both positive and negative rows")
        clf = LogisticRegression(C=config.C, class_weight=config.class_weight, max_iter=2000, random_state=seed)
        clf.fit(features[rows], y, sample_weight=weights[rows])
        coef[j], intercept[j] = clf.coef_[0], clf.intercept_[0]
    return TfidfClassifier(labels=list(labels), name=name, vectorizer=vectorizer, coef=coef, intercept=intercept)
