"""The service's protocol: request and response bodies (pydantic), shown in /openapi.json.

Response models list their fields in the order the bodies have always had, and routes
serialise them without unset fields, so optional keys (a warning's ``index``, ``decision``
vs ``decisions``) appear only where they did before. The sentence row is generated from
``SentenceScore``, whose ``to_row()`` is the project's output schema, so the two cannot drift.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Optional, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, StrictStr, create_model, model_validator

from khitab.models.base import SentenceScore
from khitab.serving.runtime import ServiceLimits


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DocumentIn(_Body):
    doc_id: Optional[StrictStr] = Field(default=None, description="Echoed in the rows; default: its index.")
    text: StrictStr


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


class Warning_(BaseModel):
    code: str = Field(description="'language' (not mainly Arabic, still scored) or 'empty'.")
    message: str
    arabic_ratio: Optional[float] = None
    index: Optional[int] = None
    doc_id: Optional[str] = None


def _sentence_score_fields() -> dict[str, Any]:
    """``SentenceScore``'s fields as required pydantic fields, in ``to_row()``'s order."""
    hints = get_type_hints(SentenceScore)
    return {field.name: (hints[field.name], ...) for field in dataclasses.fields(SentenceScore)}


Row = create_model(
    "Row", __doc__="The project's output row (README, \"Output schema\"): ``SentenceScore.to_row()``.",
    **_sentence_score_fields(),
)


class ScoreResponse(BaseModel):
    model: str
    model_version: str
    request_id: str
    rows: list[Row]
    warnings: list[Warning_]


class EvidenceRow(Row):
    labels: list[str] = Field(description="The triggered labels this sentence is evidence for.")


class DecisionOut(BaseModel):
    doc_id: str
    action: str = Field(description="allow / review / block")
    labels: list[str]
    label_actions: dict[str, str]
    scores: dict[str, float]
    evidence: list[EvidenceRow]
    warnings: list[Warning_]
    model: str
    model_version: str
    policy_version: str


class ModerateResponse(BaseModel):
    request_id: str
    decision: Optional[DecisionOut] = None
    decisions: Optional[list[DecisionOut]] = None


class ReadyResponse(BaseModel):
    status: str = Field(description="'ready'")
    model: str
    model_version: str
    policy_version: str
    labels: dict[str, dict[str, Any]] = Field(description="The effective per-label policy rules.")
    limits: ServiceLimits


class ErrorBody(BaseModel):
    error: str = Field(description="invalid_json, invalid_request, limit_exceeded, body_too_large, "
                                   "model_error, internal_error, not_ready, overloaded, not_found, ...")
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
