"""khitab (خطاب): sentence-level scoring of Arabic text for threat, sectarian framing and denial."""
from khitab.explain import Explainer, explain_document
from khitab.models.base import ScoreMatrix, SentenceClassifier, SentenceScore
from khitab.models.bundle import load_model, save_bundle
from khitab.version import __version__

__all__ = [
    "Explainer",
    "ScoreMatrix",
    "SentenceClassifier",
    "SentenceScore",
    "__version__",
    "explain_document",
    "load_model",
    "save_bundle",
]
