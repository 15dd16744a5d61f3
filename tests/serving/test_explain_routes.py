"""``"explain": true`` on /v1/score and /v1/moderate (in process, with the table-lookup fake)."""
from __future__ import annotations

from khitab.moderation import Moderator
from khitab.serving.app import create_app
from tests.fakes import fake_model
from tests.serving.conftest import in_process

ROW_KEYS = {"doc_id", "sentence", "start", "end", "text", "scores", "flagged"}
TEXT = "تقرير المراسل.\nوقال القائد إنهم سيحرقون بيوتهم."


def _post(path: str, *bodies: dict) -> list[dict]:
    async def talk(http):
        return [(await http.post(path, json=body)).json() for body in bodies]

    return in_process(create_app(fake_model()), talk)


def test_score_explains_flagged_rows_only_when_asked():
    plain, explained, off = _post("/v1/score", {"documents": [{"doc_id": "a", "text": TEXT}]},
                                  {"documents": [{"doc_id": "a", "text": TEXT}], "explain": True},
                                  {"documents": [{"doc_id": "a", "text": TEXT}], "explain": False})
    assert all(set(row) == ROW_KEYS for row in plain["rows"] + off["rows"])  # bodies as they always were
    assert {k: v for k, v in off.items() if k != "request_id"} == {k: v for k, v in plain.items() if k != "request_id"}
    title, threat = explained["rows"]
    assert set(title) == ROW_KEYS  # not flagged: not explained
    assert threat["voice"] == "reported" and threat["speaker"]["text"] == "القائد"
    assert threat["cues"]["threat"] and all(TEXT[c["start"]:c["end"]] == c["text"] for c in threat["cues"]["threat"])
    assert {k: threat[k] for k in ROW_KEYS} == plain["rows"][1]


def test_score_explains_sentences_given_as_they_are():
    [body] = _post("/v1/score", {"sentences": ["سننتقم منهم قريبا", "الطقس جميل"], "explain": True})
    threat, weather = body["rows"]
    assert threat["voice"] == "author" and threat["speaker"] is None and threat["cues"]["threat"]
    assert set(weather) == ROW_KEYS


def test_moderate_explains_the_evidence_like_the_moderator():
    [body] = _post("/v1/moderate", {"texts": [TEXT], "doc_ids": ["p"], "explain": True})
    expected = Moderator(fake_model()).check_many([TEXT], ["p"], explain=True)[0].to_dict()
    assert body["decisions"] == [expected]
    [row] = body["decisions"][0]["evidence"]
    assert row["voice"] == "reported" and row["cues"]["threat"] and row["labels"] == ["threat"]
