"""How well the voice rules (``khitab.explain.voice``) agree with human voice-and-speaker gold:
accuracy, per-class precision/recall/F1 and the confusion matrix, plus speaker agreement where
both say the sentence is someone else's words."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from khitab.data.real.voice import VOICES, VoiceItem
from khitab.explain.voice import sentence_voice


def predicted_voices(items: Sequence[VoiceItem]) -> list[tuple[str, str | None]]:
    out = []
    for item in items:
        found = sentence_voice(item.document, item.start, item.end)
        out.append((found.voice, None if found.speaker is None else found.speaker.text))
    return out


def speaker_matches(gold: str, predicted: str | None) -> bool:
    """The same speaker: one span contains the other (titles and names are cut differently)."""
    if predicted is None:
        return False
    g, p = gold.strip(), predicted.strip()
    return bool(g and p) and (g in p or p in g)


def voice_report(items: Sequence[VoiceItem]) -> dict[str, Any]:
    predicted = predicted_voices(items)
    gold = [item.voice for item in items]
    guess = [p[0] for p in predicted]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, guess, labels=list(VOICES), zero_division=0)
    with_speaker = [(item, p) for item, p in zip(items, predicted)
                    if item.voice != "author" and item.speaker and p[0] != "author"]
    return {
        "n": len(items),
        "accuracy": round(float(accuracy_score(gold, guess)), 4),
        "per_class": {v: {"precision": round(float(precision[i]), 4), "recall": round(float(recall[i]), 4),
                          "f1": round(float(f1[i]), 4), "support": int(support[i])}
                      for i, v in enumerate(VOICES)},
        "confusion": {"labels": list(VOICES),
                      "matrix": confusion_matrix(gold, guess, labels=list(VOICES)).tolist()},
        "speaker": {"n": len(with_speaker),
                    "match": round(sum(speaker_matches(i.speaker, p[1]) for i, p in with_speaker)
                                   / max(len(with_speaker), 1), 4)},
        "by_register": _accuracy_by(items, gold, guess, lambda i: i.register),
        "by_split": _accuracy_by(items, gold, guess, lambda i: i.split),
        "by_wave": _accuracy_by(items, gold, guess, lambda i: str(i.wave)),
    }


def _accuracy_by(items: Sequence[VoiceItem], gold: list[str], guess: list[str], key) -> dict[str, float]:
    """Accuracy within each value of ``key(item)`` (register, split)."""
    return {value: round(float(accuracy_score(
        [g for g, i in zip(gold, items) if key(i) == value],
        [p for p, i in zip(guess, items) if key(i) == value])), 4)
        for value in sorted({key(i) for i in items})}


def voice_errors(items: Sequence[VoiceItem]) -> list[dict[str, Any]]:
    """The items the rules get wrong (voice, or speaker where both see someone else's words),
    for reading while developing the rules: callers pass only train and dev items."""
    rows = []
    for item, (voice, speaker) in zip(items, predicted_voices(items)):
        wrong_speaker = (item.voice != "author" and voice != "author" and bool(item.speaker)
                         and not speaker_matches(item.speaker, speaker))
        if voice != item.voice or wrong_speaker:
            rows.append({"id": item.id, "split": item.split, "gold": item.voice, "predicted": voice,
                         "gold_speaker": item.speaker, "predicted_speaker": speaker, "text": item.text})
    return rows
