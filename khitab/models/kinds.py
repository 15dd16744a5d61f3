"""The model kinds, listed once: ``bundle.json``'s ``kind`` -> the class that loads it.

Every class has ``load(directory, manifest, load_bundle)``; ``load_bundle`` loads a bundle
inside this one (an ensemble's members) and is unused by kinds that hold no other bundle.
Training picks how to fit each kind by the same names (``khitab.training.train.FITTERS``), and
the config's model union lists one config per kind; tests/models/test_kinds.py checks the three
agree.
"""
from __future__ import annotations

from khitab.models.base import SentenceClassifier
from khitab.models.embed_linear import EmbedLinearClassifier
from khitab.models.encoder import EncoderClassifier
from khitab.models.ensemble import EnsembleClassifier
from khitab.models.tfidf import TfidfClassifier

MODEL_KINDS: dict[str, type[SentenceClassifier]] = {
    cls.kind: cls for cls in (TfidfClassifier, EncoderClassifier, EmbedLinearClassifier, EnsembleClassifier)
}
