"""The service's protocol: request and response bodies (pydantic), shown in /openapi.json.

Response models list their fields in the order the bodies have always had, and routes
serialise them without unset fields, so optional keys (a warning's ``index``, ``decision``
vs ``decisions``) appear only where they did before. The sentence row is generated from
``SentenceScore``, whose ``to_row()`` is the project's output schema, so the two cannot drift.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, create_model, model_validator

from khitab.models.base import SentenceScore
from khitab.review.queue import ReviewItem  # written once, where the queue builds it
from khitab.serving.runtime import ServiceLimits


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(_Body):
    doc_id: Optional[StrictStr] = Field(default=None, description="Echoed in the rows; default: its index.")
    text: StrictStr


_EXPLAIN = Field(default=None, description="true: every flagged sentence also gets cues, voice, speaker and "
                                          "(sectarian) targets; costs two more model passes over its words.")


class ScoreRequest(_Body):
    """Exactly one of ``sentences`` (each scored as it is) or ``documents`` (each split into
    sentences; offsets index its text)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"sentences": ["سننتقم منهم قريبا"]},
                                        {"documents": [{"doc_id": "a1", "text": "نفت الوزارة الخبر. سننتقم منهم."}]}]},
    )
    sentences: Optional[list[StrictStr]] = None
    documents: Optional[list[DocumentIn]] = None
    explain: Optional[StrictBool] = _EXPLAIN

    @model_validator(mode="after")
    def _one_input(self) -> ScoreRequest:
        if (self.sentences is None) == (self.documents is None):
            raise ValueError("give exactly one of 'sentences' or 'documents'")
        return self


class ModerateRequest(_Body):
    """Exactly one of ``text`` (answer: ``decision``) or ``texts`` (answer: ``decisions``, in order)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "نفت الوزارة الخبر. سننتقم منهم قريبا."},
                                        {"texts": ["...", "..."], "doc_ids": ["p1", "p2"]}]},
    )
    text: Optional[StrictStr] = None
    doc_id: Optional[StrictStr] = None
    texts: Optional[list[StrictStr]] = None
    doc_ids: Optional[list[StrictStr]] = None
    enqueue: Optional[StrictBool] = Field(
        default=None, description="true: queue the sentences behind a review or block decision for reviewers "
        "(the service needs a review store; one started with --enqueue-reviews queues them for every request); "
        "the answer's `queued` lists their item ids.")
    explain: Optional[StrictBool] = _EXPLAIN

    @model_validator(mode="after")
    def _one_input(self) -> ModerateRequest:
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' or 'texts'")
        if self.text is not None and self.doc_ids is not None:
            raise ValueError("'doc_ids' goes with 'texts'; use 'doc_id' with 'text'")
        if self.texts is not None and self.doc_id is not None:
            raise ValueError("'doc_id' goes with 'text'; use 'doc_ids' with 'texts'")
        if self.texts is not None and self.doc_ids is not None and len(self.doc_ids) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.doc_ids)} doc_ids")
        return self


class TextWarning(BaseModel):
    code: str = Field(description="'language' (not mainly Arabic, still scored) or 'empty'.")
    message: str
    arabic_ratio: Optional[float] = None
    index: Optional[int] = None
    doc_id: Optional[str] = None


def _sentence_score_fields() -> dict[str, Any]:
    """``SentenceScore``'s fields as required pydantic fields, in ``to_row()``'s order."""
    hints = get_type_hints(SentenceScore)
    return {field.name: (hints[field.name], ...) for field in dataclasses.fields(SentenceScore)}


class CueOut(BaseModel):
    start: int
    end: int
    text: str
    weight: float = Field(description="How much the label's probability drops without this span.")


class SpanOut(BaseModel):
    start: int
    end: int
    text: str


class TargetOut(SpanOut):
    group: str = Field(description="sunni, shia, alawite, druze, christian, ...")
    slur: bool


def _explanation_fields() -> dict[str, Any]:
    """The fields an explained row adds (``khitab.explain``); absent from unexplained rows."""
    return {
        "cues": (Optional[dict[str, list[CueOut]]], Field(default=None, description="label -> cue spans")),
        "voice": (Optional[str], Field(default=None, description="author / quoted / reported")),
        "speaker": (Optional[SpanOut], None),
        "targets": (Optional[dict[str, list[TargetOut]]], Field(default=None, description="sectarian -> sects")),
    }


Row = create_model(
    "Row", __doc__="The project's output row (README, \"Output schema\"): ``SentenceScore.to_row()``.",
    **_sentence_score_fields(),
)
ExplainedRow = create_model(
    "ExplainedRow", __base__=Row, __doc__="A row; with ``explain``, a flagged one also has cues, voice, speaker "
                                          "(and sectarian targets). Unexplained rows have none of these keys.",
    **_explanation_fields(),
)


class ScoreResponse(BaseModel):
    model: str
    model_version: str
    request_id: str
    rows: list[ExplainedRow]
    warnings: list[TextWarning]


class EvidenceRow(Row):
    labels: list[str] = Field(description="The triggered labels this sentence is evidence for.")


ExplainedEvidenceRow = create_model(
    "ExplainedEvidenceRow", __base__=EvidenceRow,
    __doc__="Evidence; with ``explain`` (or the policy's ``reported_max_action``) it carries the explanation.",
    **_explanation_fields(),
)


class DecisionOut(BaseModel):
    doc_id: str
    action: str = Field(description="allow / review / block")
    labels: list[str]
    label_actions: dict[str, str]
    scores: dict[str, float]
    evidence: list[ExplainedEvidenceRow]
    warnings: list[TextWarning]
    model: str
    model_version: str
    policy_version: str


class ModerateResponse(BaseModel):
    request_id: str
    decision: Optional[DecisionOut] = None
    decisions: Optional[list[DecisionOut]] = None
    queued: Optional[list[str]] = Field(
        default=None, description="Only when enqueuing: the review item ids of the evidence sentences of the "
        "review/block decisions, in order (an item queued before keeps its id).")


class ReadyResponse(BaseModel):
    status: str = Field(description="'ready'")
    model: str
    model_version: str
    backend: str = Field(description="How the model's encoders run, e.g. 'ensemble-torch-fp32', 'onnx-int8' "
                                     "(`khitab serve --backend --quantize`).")
    policy_version: str
    labels: dict[str, dict[str, Any]] = Field(description="The effective per-label policy rules.")
    limits: ServiceLimits


# --- the review loop (review_routes.py) ---------------------------------------------------


class ReviewQueue(BaseModel):
    items: list[ReviewItem] = Field(description="Most informative first: nearest a threshold, then highest score.")


class VerdictsRecorded(BaseModel):
    verdict_ids: list[int] = Field(description="The new verdicts' ids, in the order posted.")


class LabelReviewStats(BaseModel):
    verdicts: int
    items: int
    confirmed: int
    agreement_with_model: Optional[float]
    flags_judged: int
    confirm_rate_of_flags: Optional[float]
    pairs: int = Field(description="Reviewer pairs on one (item, label), for kappa.")
    kappa: Optional[float] = Field(description="Cohen's kappa between reviewers; null when undefined.")


class ReviewStats(BaseModel):
    items: int
    verdicts: int = Field(description="Every verdict recorded (the per-label numbers count the latest ones).")
    reviewers: int
    items_reviewed: int
    labels: dict[str, LabelReviewStats]


class ErrorBody(BaseModel):
    error: str = Field(description="invalid_json, invalid_request, limit_exceeded, body_too_large, "
                                   "model_error, internal_error, not_ready, overloaded, not_found, invalid_verdict, "
                                   "no_review_store, ...")
    detail: Any
    request_id: str
    limit: Optional[str] = None
    value: Optional[int] = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorBody, "description": "Body larger than max_body_bytes."},
    422: {"model": ErrorBody, "description": "Invalid JSON, wrong types, or a limit (named in `limit`) exceeded."},
    500: {"model": ErrorBody, "description": "Model or server error; quote the request id."},
    503: {"model": ErrorBody, "description": "Model not loaded yet, stopping, or overloaded."},
}
