"""Cue spans by occlusion: the words whose removal lowers a label's probability the most.

Model-agnostic: it only calls a ``predict(texts)`` giving probabilities (rows in the model's
label order), so it explains the shipped ensemble as it is. The search is two small batched
calls over every sentence that needs explaining: first each sentence minus one word; then
minus each short phrase (up to ``max_words`` words) that holds one of the words whose removal
dropped a label the most, at most ``MAX_PHRASES`` phrases a sentence. That is about n + 2*TOP_WORDS*max_words
variants for n words instead of about max_words*n, and the phrases it skips hold no strong word, so
they could not beat the cues it keeps. Sentences that need no explanation cost nothing.

The search is a generator that yields the texts it needs scored and receives their
probabilities, so one algorithm serves a blocking model (``occlusion_cues``) and the service's
awaitable micro-batcher (``occlusion_cues_async``).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from khitab.text.words import with_spans_removed, word_spans

MAX_WORDS = 3  # longest phrase occluded as one candidate
TOP_K = 3  # cues kept per label
MIN_WEIGHT = 0.02  # a smaller drop is noise, not a cue
# A phrase is kept over a word inside it only when the extra words add this much of its drop:
# otherwise "سنوفر أرضية الانتقام" would beat "الانتقام" just by removing more text.
PHRASE_GAIN = 0.15
TOP_WORDS = TOP_K + 1  # strongest words per label whose surrounding phrases are scored
MAX_WORD_VARIANTS = 96  # words occluded per sentence (a longer sentence keeps its first ones)
MAX_PHRASES = 24  # phrase variants per sentence

Span_ = tuple[int, int]
Search = Generator[list[str], np.ndarray, list[dict[str, list["Cue"]]]]


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    text: str
    weight: float

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "weight": round(self.weight, 4)}


@dataclass(frozen=True)
class CueRequest:
    """Explain ``labels`` of the sentence ``document[start:end]``, whose probabilities are
    ``base`` (label -> probability, as the score row reports them); ``document`` may be left
    out when every request of a call shares one."""

    start: int
    end: int
    labels: tuple[str, ...]
    base: dict[str, float]
    document: str | None = None


def candidate_spans(document: str, start: int, end: int, max_words: int = MAX_WORDS) -> list[Span_]:
    """Every run of 1..``max_words`` consecutive words of ``document[start:end]``, as offsets
    into ``document``; a sentence's only word is no candidate (removing it leaves nothing)."""
    words = word_spans(document, start, end)
    if len(words) < 2:
        return []
    return [
        (words[i].start, words[i + n - 1].end)
        for n in range(1, max_words + 1)
        for i in range(len(words) - n + 1)
        if n < len(words)
    ]


def occlusion_cues(
    model, document: str, requests: Sequence[CueRequest], top_k: int = TOP_K,
    min_weight: float = MIN_WEIGHT, max_words: int = MAX_WORDS,
) -> list[dict[str, list[Cue]]]:
    """For each request, label -> its cues (strongest first). Two ``predict_proba`` calls at
    most (words, then phrases around the strongest words); none without requests."""
    search = cue_search(model.labels, _with_document(document, requests), top_k, min_weight, max_words)
    return run_search(search, model.predict_proba, len(model.labels))


def documents_cues(
    model, requests: Sequence[CueRequest], top_k: int = TOP_K, min_weight: float = MIN_WEIGHT,
    max_words: int = MAX_WORDS,
) -> list[dict[str, list[Cue]]]:
    """``occlusion_cues`` for requests that carry their own documents."""
    return run_search(cue_search(model.labels, requests, top_k, min_weight, max_words), model.predict_proba,
                      len(model.labels))


async def occlusion_cues_async(
    labels: Sequence[str], predict: Callable[[list[str]], Awaitable[np.ndarray]], requests: Sequence[CueRequest],
    top_k: int = TOP_K, min_weight: float = MIN_WEIGHT, max_words: int = MAX_WORDS,
) -> list[dict[str, list[Cue]]]:
    """``occlusion_cues`` for requests that carry their documents, scored by an awaitable."""
    search = cue_search(labels, requests, top_k, min_weight, max_words)
    try:
        texts = next(search)
        while True:
            texts = search.send(await predict(texts) if texts else np.zeros((0, len(labels))))
    except StopIteration as done:
        return done.value


def run_search(search: Search, predict: Callable[[list[str]], np.ndarray], n_labels: int) -> list:
    """Drive a ``cue_search`` with a blocking ``predict``; an empty batch costs no call."""
    try:
        texts = next(search)
        while True:
            texts = search.send(predict(texts) if texts else np.zeros((0, n_labels)))
    except StopIteration as done:
        return done.value


def cue_search(
    labels: Sequence[str], requests: Sequence[CueRequest], top_k: int = TOP_K, min_weight: float = MIN_WEIGHT,
    max_words: int = MAX_WORDS,
) -> Search:
    """The two-stage search over ``requests`` (each with its document): yields the word
    variants, then the phrase variants, and returns label -> cues per request."""
    labels = list(labels)
    words = [_words(r) for r in requests]
    word_probs = yield [_variant(r, span) for r, spans in zip(requests, words) for span in spans]
    word_drops = list(_drops(requests, words, word_probs, labels))
    phrases = [phrases_around(r, spans, drops, max_words) if max_words > 1 else []
               for r, spans, drops in zip(requests, words, word_drops)]
    phrase_probs = yield [_variant(r, span) for r, spans in zip(requests, phrases) for span in spans]
    results = []
    for r, spans, drops, more, more_drops in zip(
            requests, words, word_drops, phrases, _drops(requests, phrases, phrase_probs, labels)):
        every = spans + more
        results.append({label: select_cues(r.document, every, np.concatenate([drops[label], more_drops[label]]),
                                           top_k, min_weight) for label in r.labels})
    return results


def _with_document(document: str, requests: Sequence[CueRequest]) -> list[CueRequest]:
    return [r if r.document is not None else CueRequest(r.start, r.end, r.labels, r.base, document) for r in requests]


def _words(request: CueRequest) -> list[Span_]:
    """The single-word candidates of a request's sentence (none for a one-word sentence)."""
    spans = [(w.start, w.end) for w in word_spans(request.document, request.start, request.end)]
    return spans[:MAX_WORD_VARIANTS] if len(spans) > 1 else []


def _variant(request: CueRequest, span: Span_) -> str:
    return with_spans_removed(request.document, request.start, request.end, [span])


def _drops(requests: Sequence[CueRequest], candidates: Sequence[list[Span_]], probs: np.ndarray,
           labels: list[str]):
    """Per request, label -> the drop of each candidate (base probability minus the variant's)."""
    row = 0
    for request, spans in zip(requests, candidates):
        block = probs[row:row + len(spans)]
        row += len(spans)
        yield {label: request.base[label] - block[:, labels.index(label)] for label in request.labels}


def phrases_around(request: CueRequest, words: list[Span_], drops: dict[str, np.ndarray],
                    max_words: int) -> list[Span_]:
    """Runs of 2..``max_words`` words holding one of each label's ``TOP_WORDS`` strongest
    words (a drop above zero), strongest words' phrases first, at most ``MAX_PHRASES``."""
    if len(words) < 3:
        return []
    ranked = sorted({int(i) for d in drops.values() for i in np.argsort(-d, kind="stable")[:TOP_WORDS] if d[i] > 0},
                    key=lambda i: -max(float(d[i]) for d in drops.values()))
    chosen: dict[Span_, None] = {}
    for i in ranked:
        for n in range(2, max_words + 1):
            for first in range(max(0, i - n + 1), min(i, len(words) - n) + 1):
                if n < len(words):
                    chosen.setdefault((words[first][0], words[first + n - 1][1]))
    return list(chosen)[:MAX_PHRASES]


def select_cues(
    document: str, spans: Sequence[Span_], drops: np.ndarray, top_k: int = TOP_K,
    min_weight: float = MIN_WEIGHT,
) -> list[Cue]:
    """The strongest non-overlapping spans whose drop exceeds ``min_weight``, at most ``top_k``."""
    weights = {span: float(drop) for span, drop in zip(spans, drops)}
    ranked = sorted((s for s in weights if not _outdone_by_inner_span(s, weights)),
                    key=lambda s: (-weights[s], s[1] - s[0], s[0]))
    chosen: list[Span_] = []
    for span in ranked:
        if len(chosen) == top_k or weights[span] <= min_weight:
            break
        if all(span[1] <= s or span[0] >= e for s, e in chosen):
            chosen.append(span)
    return [Cue(s, e, document[s:e], weights[(s, e)]) for s, e in chosen]


def _outdone_by_inner_span(span: Span_, weights: dict[Span_, float]) -> bool:
    """A phrase whose drop a shorter span inside it nearly reaches (the phrase adds little)."""
    best_inner = max(
        (w for (s, e), w in weights.items() if span[0] <= s and e <= span[1] and (s, e) != span),
        default=None,
    )
    return best_inner is not None and best_inner >= weights[span] * (1 - PHRASE_GAIN)
