"""Arabic normalization.

``ArabertNormalizer`` is AraBERT v2's own pre-training preprocessing (the ``arabert``
package), so an encoder sees text exactly as it did in pre-training. ``fold_orthography``
goes further for character n-gram models, which cannot learn that spelling variants
(hamza forms, taa marbuta written as haa, alef maqsura as yaa) are the same word.
"""
from __future__ import annotations

import re

ARABERT_V2 = "bert-base-arabertv02"

_DIACRITICS = re.compile(r"[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED]")
_TATWEEL = "\u0640"
# Keyword matching folds what keeps a word's letters (alef forms, taa marbuta, alef maqsura);
# n-gram models also fold the hamza seats.
_KEYWORD_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_HAMZA_FOLD = str.maketrans({"ؤ": "ء", "ئ": "ء"})
_REPEATS = re.compile(r"(\D)\1{2,}")
_SPACES = re.compile(r"\s+")


class ArabertNormalizer:
    """Callable text -> text applying AraBERT's preprocessing for ``model_name``."""

    def __init__(self, model_name: str = ARABERT_V2):
        # Imported here: the arabert package logs a warning at import for unknown models.
        from arabert.preprocess import ArabertPreprocessor

        self.model_name = model_name
        self._preprocessor = ArabertPreprocessor(model_name=model_name)

    def __call__(self, text: str) -> str:
        return self._preprocessor.preprocess(text)


def fold_keywords(text: str) -> str:
    """The folding keyword lists are written in: no diacritics or tatweel, one alef, haa for
    taa marbuta, yaa for alef maqsura (hamza seats and letter repeats kept)."""
    return _DIACRITICS.sub("", text).replace(_TATWEEL, "").translate(_KEYWORD_FOLD)


def fold_orthography(text: str) -> str:
    """Fold spelling variants together: ``fold_keywords`` plus bare hamza, at most two
    repeated letters, single spaces, Latin lowercase."""
    text = fold_keywords(text).translate(_HAMZA_FOLD)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACES.sub(" ", text).strip().lower()


class InputPreparer:
    """Text exactly as an encoder saw it in pre-training: AraBERT preprocessing when
    ``normalizer == "arabert"`` (raw text otherwise), then the model's prefix (e5: ``query: ``)."""

    def __init__(self, normalizer: str = "none", arabert_model: str = ARABERT_V2, prefix: str = ""):
        self._normalize = ArabertNormalizer(arabert_model) if normalizer == "arabert" else None
        self.prefix = prefix

    def __call__(self, texts) -> list[str]:
        if self._normalize is not None:
            texts = [self._normalize(t) for t in texts]
        return [self.prefix + t for t in texts]
