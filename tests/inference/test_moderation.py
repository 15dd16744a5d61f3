"""Moderator: policy thresholds, rollup, evidence offsets and the pipeline hooks."""
from __future__ import annotations

import json

import pytest
import yaml

from khitab.models.bundle import load_model
from khitab.moderation import Decision, Moderator, Policy, PolicyError, load_policy
from tests.conftest import ROOT, SEED_TEXT
from tests.fakes import fake_model

POLICY = Policy.model_validate({
    "version": "test-1",
    "labels": {"threat": {"review": 0.5, "block": 0.9}, "sectarian": {"review": 0.5, "block": 0.9}},
})


def moderator(policy: Policy = POLICY, **model_kwargs) -> Moderator:
    return Moderator(fake_model(**model_kwargs), policy)


def assert_offsets(decision: Decision, text: str) -> None:
    for row in decision.evidence:
        assert text[row["start"]:row["end"]] == row["text"]


def test_allow_review_block():
    m = moderator()
    allow = m.check("الطقس جميل اليوم. ذهبنا إلى السوق.")
    assert (allow.action, allow.labels, allow.evidence) == ("allow", [], [])

    text = "الطقس جميل اليوم. سنحرق بيوتهم!"
    review = m.check(text, doc_id="p1")
    assert (review.action, review.labels, review.doc_id) == ("review", ["threat"], "p1")
    assert review.scores["threat"] == pytest.approx(0.7)
    assert [row["sentence"] for row in review.evidence] == [1]
    assert review.evidence[0]["labels"] == ["threat"]
    assert_offsets(review, text)

    text = "مقدمة طويلة هنا.\nنفت الوزارة الخبر.  سننتقم منهم قريبا!"
    block = m.check(text)
    assert (block.action, block.labels) == ("block", ["threat"])
    assert block.label_actions == {"threat": "block", "sectarian": "allow", "denial": "review"}
    assert [(row["sentence"], row["labels"]) for row in block.evidence] == [(1, ["denial"]), (2, ["threat"])]
    assert_offsets(block, text)
    assert (block.model, block.model_version, block.policy_version) == ("fake", "fake-v1", "test-1")


def test_absent_label_uses_the_model_threshold():
    text = "نفت الوزارة الخبر."  # denial 0.8; the policy has no denial entry
    assert moderator().check(text).action == "review"
    assert moderator(thresholds={"threat": 0.5, "sectarian": 0.5, "denial": 0.85}).check(text).action == "allow"
    rules = {rule["review"] for rule in [moderator().describe()["labels"]["denial"]]}
    assert rules == {0.5}


def test_min_sentences_and_noisy_or():
    counting = Policy.model_validate({"version": "c", "rollup": {"rule": "max", "min_sentences": 2}})
    one = "سنحرق بيوتهم. الطقس جميل."
    two = "سنحرق بيوتهم. سننتقم منهم قريبا."
    assert moderator(counting).check(one).action == "allow"
    decision = moderator(counting).check(two)
    assert decision.action == "review" and decision.scores["threat"] == pytest.approx(0.7)

    pooled = Policy.model_validate({"version": "n", "labels": {"denial": {
        "review": 0.6, "rollup": {"rule": "noisy_or"}}}})
    single = moderator(pooled).check("الخبر كاذب ومفبرك.")
    assert single.action == "allow"
    double = moderator(pooled).check("الخبر كاذب ومفبرك. الطقس جميل. الخبر كاذب ومفبرك!")
    assert double.action == "review" and double.scores["denial"] == pytest.approx(1 - 0.6 * 0.6 * 0.98)
    assert {row["sentence"] for row in double.evidence} >= {0, 2}  # the sentences that added up


def test_policy_errors():
    with pytest.raises(PolicyError, match="violence"):
        Moderator(fake_model(), Policy.model_validate({"version": "x", "labels": {"violence": {"review": 0.5}}}))
    with pytest.raises(PolicyError, match="below the review threshold"):  # block under the model's threshold
        Moderator(fake_model(), Policy.model_validate({"version": "x", "labels": {"threat": {"block": 0.3}}}))
    for bad in (
        {"version": "x", "labels": {"threat": {"review": 0.8, "block": 0.5}}},
        {"version": "x", "labels": {"threat": {"review": 1.5}}},
        {"version": "x", "rollup": {"rule": "noisy_or", "min_sentences": 2}},
        {"version": "x", "unknown_key": 1},
        {"labels": {}},
    ):
        with pytest.raises(ValueError):
            Policy.model_validate(bad)


def test_policy_file_errors_name_the_file(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump({"version": "x", "labels": {"threat": {"reviw": 0.5}}}), encoding="utf-8")
    with pytest.raises(PolicyError, match=r"policy\.yaml.*reviw"):
        load_policy(path)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")


def test_hooks_are_plain_callables_and_batch_in_one_call():
    m = moderator()
    texts = ["سننتقم منهم قريبا.", "الطقس جميل.", "hello there", "", "نفت الوزارة الخبر. سنحرق بيوتهم."]
    m.model.calls.clear()
    decisions = m.check_many(texts, doc_ids=[f"d{i}" for i in range(len(texts))])
    assert m.model.calls == [5]  # every sentence of every text in one forward pass
    assert [d.action for d in decisions] == ["block", "allow", "allow", "allow", "review"]
    assert [d.doc_id for d in decisions] == ["d0", "d1", "d2", "d3", "d4"]
    assert decisions == [m(text, doc_id=f"d{i}") for i, text in enumerate(texts)]
    assert list(map(m, texts[:2])) == decisions_without_ids(decisions[:2])
    assert decisions[2].warnings[0]["code"] == "language"  # scored anyway
    assert decisions[3].warnings[0]["code"] == "empty"
    with pytest.raises(TypeError):
        m.check(None)


def decisions_without_ids(decisions: list[Decision]) -> list[Decision]:
    from dataclasses import replace

    return [replace(d, doc_id="", evidence=[{**e, "doc_id": ""} for e in d.evidence]) for d in decisions]


def test_default_policy_with_a_real_bundle(tiny_bundle):
    m = Moderator(tiny_bundle)  # paths work too; policy defaults to configs/policy.yaml
    assert m.policy == load_policy(ROOT / "configs" / "policy.yaml")
    text = SEED_TEXT.read_text(encoding="utf-8")
    decision = m.check(text, doc_id="seed")
    assert decision.model_version == load_model(tiny_bundle).version
    assert decision.policy_version == m.policy.version
    assert decision.action in ("allow", "review", "block")
    assert_offsets(decision, text)
    payload = json.loads(json.dumps(decision.to_dict(), ensure_ascii=False))
    assert set(payload) == {"doc_id", "action", "labels", "label_actions", "scores", "evidence", "warnings",
                            "model", "model_version", "policy_version"}
    for row in payload["evidence"]:
        assert set(row) == {"doc_id", "sentence", "start", "end", "text", "scores", "flagged", "labels"}
