"""Explanations of flags: cue spans (occlusion), voice and speaker, sectarian targets.

Sits between the models and the surfaces: it imports ``khitab.text`` and works with any model
exposing ``labels`` and ``predict_proba``; inference, moderation and serving call it.
"""
from khitab.explain.cues import Cue, occlusion_cues
from khitab.explain.explain import Explainer, explain_document, explain_documents, explain_documents_async
from khitab.explain.targets import Target, sect_targets
from khitab.explain.voice import VOICES, Voice, sentence_voice

__all__ = [
    "VOICES",
    "Cue",
    "Explainer",
    "Target",
    "Voice",
    "explain_document",
    "explain_documents",
    "explain_documents_async",
    "occlusion_cues",
    "sect_targets",
    "sentence_voice",
]
