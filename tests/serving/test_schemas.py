"""The declared schemas are the real ones: bodies the running service sends validate, strictly
(no undeclared key anywhere), against its own /openapi.json; the sentence row model is
``SentenceScore.to_row()``."""
from __future__ import annotations

import copy

import httpx
import pytest
from jsonschema import Draft202012Validator

from khitab.models.base import SentenceScore
from khitab.serving.schemas import EvidenceRow, Row

SCORE = [{"sentences": ["سننتقم منهم قريبا", "the weather is nice today", " "]},
         {"documents": [{"doc_id": "a1", "text": "نفت الوزارة الخبر. سننتقم منهم قريبا!"}, {"text": "We deny it."},
                        {"text": ""}]}]
MODERATE = [{"text": "نفت الوزارة الخبر. سننتقم منهم قريبا!", "doc_id": "p1"}, {"text": ""},
            {"texts": ["سنحرق بيوتهم إن لم يرحلوا", "We will deny everything.", "الطقس جميل"]}]


def test_row_model_is_sentence_score_to_row():
    row = SentenceScore("d1", 2, 5, 9, "نص ما", {"threat": 0.1234567, "denial": 1e-07}, ["threat"]).to_row()
    assert list(Row.model_fields) == list(row)
    assert Row.model_validate(row).model_dump() == row
    assert list(EvidenceRow.model_fields) == [*row, "labels"]


def strict(openapi: dict) -> dict:
    """The schema with every declared object closed (``additionalProperties: false``)."""
    openapi = copy.deepcopy(openapi)
    for schema in openapi["components"]["schemas"].values():
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return openapi


def validate(openapi: dict, path: str, method: str, response: httpx.Response) -> None:
    declared = openapi["paths"][path][method]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": openapi["components"]}).validate(response.json())


@pytest.fixture(scope="module")
def openapi(server) -> dict:
    return strict(httpx.get(server.url + "/openapi.json").json())


@pytest.mark.parametrize("payload", SCORE)
def test_score_bodies_match_the_openapi_schema(client, openapi, payload):
    response = client.post("/v1/score", json=payload)
    assert response.status_code == 200 and response.json()["rows"] and response.json()["warnings"]
    validate(openapi, "/v1/score", "post", response)


@pytest.mark.parametrize("payload", MODERATE)
def test_moderate_bodies_match_the_openapi_schema(client, openapi, payload):
    response = client.post("/v1/moderate", json=payload)
    assert response.status_code == 200
    validate(openapi, "/v1/moderate", "post", response)


def test_evidence_and_operations_bodies_match_the_openapi_schema(client, openapi):
    decision = client.post("/v1/moderate", json=MODERATE[0]).json()["decision"]
    assert decision["evidence"] and decision["warnings"] == []
    for path in ("/readyz", "/healthz"):
        validate(openapi, path, "get", client.get(path))


@pytest.mark.parametrize(("payload", "status"), [({"texts": ["نص"] * 9}, 422), ({"text": 3}, 422),
                                                 ({"text": "ا" * 40_000}, 413)])
def test_error_bodies_match_the_openapi_schema(client, openapi, payload, status):
    response = client.post("/v1/moderate", json=payload)
    assert response.status_code == status
    validate(openapi, "/v1/moderate", "post", response)


def test_the_strict_check_catches_an_undeclared_key(client, openapi):
    response = client.post("/v1/score", json=SCORE[0])
    body = response.json()
    body["rows"][0]["extra"] = 1
    schema = openapi["paths"]["/v1/score"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert not Draft202012Validator({**schema, "components": openapi["components"]}).is_valid(body)
