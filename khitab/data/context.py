"""Context composites: a labeled sentence embedded in wire copy beside a neutral sentence.

News copy reports a threat, a sectarian boast or a denial inside a long sentence: a quote
framed by "he added that ..." and followed by background ("..., in reference to the attacks
last week"). A model trained on single statements loses the quoted clause in that context:
on the corpus dev split, the first shipped default's threat recall fell from 0.93 to 0.57 when
each row was joined to a neutral sentence of the same split. A composite keeps its example's
labels (the partner is neutral on every label, and a sentence carries a label when any part
of it does; guidelines), so it teaches the model that context does not dilute a statement,
and, made from hard negatives too, that length is not evidence.

Training composites use :data:`TRAIN_FRAMES` and :data:`TRAIN_SPEAKERS`; the ``context:``
evaluation sets use disjoint :data:`EVAL_FRAMES` and :data:`EVAL_SPEAKERS`, so a model is
measured on framings it never saw.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

from khitab.data.schema import Example

# {e}: the labeled sentence, {n}: a neutral sentence, {s}: a speaker; none may hold a sentence
# boundary (the sentence splitter must see one sentence).
TRAIN_FRAMES = (
    "{n}، {e}",
    "{e}، {n}",
    'وقال {s} إن "{e}"، {n}',
    '{n}، وأضاف {s} أن "{e}"',
    "{e}، و{n}",
)
EVAL_FRAMES = (
    "{n}، في حين {e}",
    "وأكد {s}: «{e}»، {n}",
    '{n}، ونقلت وسائل إعلام محلية عن {s} قوله: "{e}"',
    "{e}، بينما {n}",
)
TRAIN_SPEAKERS = ("المتحدث باسم الجماعة", "مصدر مطلع", "قائد الفصيل", "النائب", "المسؤول الأمني")
EVAL_SPEAKERS = ("بيان صادر عن المكتب السياسي", "الناطق العسكري", "رئيس الكتلة", "أحد القادة الميدانيين")
_TRAILING = " \t.!?؟…"
SOURCE = "context"


def is_neutral(example: Example, labels: Sequence[str]) -> bool:
    """Known to carry none of ``labels`` (an unknown label could be a hidden positive)."""
    return not example.borderline and all(example.labels.get(label) == 0 for label in labels)


def compose(example: Example, partner: Example, frame: str, speaker: str) -> Example:
    """``example`` framed with ``partner``: same labels, group and metadata; a new id."""
    text = frame.format(e=example.text.strip().rstrip(_TRAILING), n=partner.text.strip().rstrip(_TRAILING),
                        s=speaker) + "."
    return replace(example, id=f"{SOURCE}:{example.id}+{partner.id}", text=text, source=SOURCE,
                   meta={**example.meta, "context_of": example.id, "context_frame": frame})


def context_composites(
    examples: Sequence[Example],
    labels: Sequence[str],
    rate: float,
    frames: Sequence[str] = TRAIN_FRAMES,
    speakers: Sequence[str] = TRAIN_SPEAKERS,
) -> list[Example]:
    """``round(rate * n)`` composites of the scorable ``examples`` (each used at most once
    while ``rate <= 1``; at a whole rate every row that many times, in input order), every one
    with a neutral partner from another group of the same ``examples``; the same inputs give
    the same composites."""
    candidates = [ex for ex in examples if not ex.borderline and any(ex.known(label) for label in labels)]
    neutral = [ex for ex in examples if is_neutral(ex, labels)]
    if rate <= 0 or not candidates or not neutral:
        return []
    rng = random.Random(0)
    count = round(rate * len(candidates))
    whole, part = divmod(count, len(candidates))
    chosen = list(candidates) * whole + rng.sample(candidates, part)
    return [compose(ex, _partner(ex, neutral, rng), rng.choice(frames), rng.choice(speakers)) for ex in chosen]


def _partner(example: Example, neutral: Sequence[Example], rng: random.Random) -> Example:
    for _ in range(20):  # another group: a paraphrase of itself is not context
        partner = rng.choice(neutral)
        if partner.group != example.group or len(neutral) == 1:
            return partner
    return partner
