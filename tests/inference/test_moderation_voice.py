"""The policy's ``reported_max_action`` and explained evidence (cues, voice, speaker)."""
from __future__ import annotations

import asyncio

import pytest

from khitab.moderation import Moderator, Policy, load_policy
from tests.fakes import fake_model

LABELS = {"threat": {"review": 0.5, "block": 0.9}}
REPORTED = "تقرير المراسل.\nوقال القائد إنهم سيحرقون بيوتهم."
OWN = "تقرير المراسل.\nسننتقم منهم قريبا!"


def moderator(**policy) -> Moderator:
    return Moderator(fake_model(), Policy.model_validate({"version": "v", "labels": LABELS, **policy}))


def test_without_the_option_a_reported_threat_blocks_and_the_body_is_unchanged():
    decision = moderator().check(REPORTED)
    assert decision.action == "block"
    assert set(decision.evidence[0]) == {"doc_id", "sentence", "start", "end", "text", "scores", "flagged", "labels"}


def test_a_reported_threat_is_capped_at_review_and_the_evidence_says_who_spoke():
    decision = moderator(reported_max_action="review").check(REPORTED)
    assert (decision.action, decision.labels, decision.label_actions["threat"]) == ("review", ["threat"], "review")
    [row] = decision.evidence
    assert (row["voice"], row["speaker"]["text"]) == ("reported", "القائد")
    assert REPORTED[row["speaker"]["start"]:row["speaker"]["end"]] == "القائد"
    assert [w["code"] for w in decision.warnings] == ["reported"]


def test_the_authors_own_threat_is_not_capped():
    decision = moderator(reported_max_action="review").check(OWN)
    assert decision.action == "block" and decision.evidence[0]["voice"] == "author"
    assert decision.warnings == []


def test_explained_evidence_carries_cues_voice_and_speaker_sync_and_async():
    m = moderator()
    decision = m.check(REPORTED, explain=True)
    [row] = decision.evidence
    assert row["voice"] == "reported" and row["speaker"]["text"] == "القائد"
    assert row["cues"]["threat"] and all(REPORTED[c["start"]:c["end"]] == c["text"] for c in row["cues"]["threat"])

    async def predict(texts):
        return m.model.predict_proba(texts)

    [again] = asyncio.run(m.check_many_async([REPORTED], [""], predict, explain=True))
    assert again == decision


def test_the_option_takes_only_actions():
    with pytest.raises(Exception, match="reported_max_action"):
        Policy.model_validate({"version": "v", "reported_max_action": "queue"})
    assert load_policy().reported_max_action is None  # the shipped policy leaves voice alone
