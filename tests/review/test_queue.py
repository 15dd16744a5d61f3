"""The queue's order and exclusions, verdict validation (all or nothing), and the stats."""
import pytest

from khitab.review import (
    VerdictError,
    asked_labels,
    next_items,
    parse_verdict_body,
    record_verdicts,
    stats,
    verdict_history,
)
from tests.review.conftest import SENTENCES, THRESHOLDS


def judge(store, item_id, reviewer, **verdicts):
    return record_verdicts(store, [
        {"item_id": item_id, "label": label, "verdict": verdict, "reviewer": reviewer}
        for label, verdict in verdicts.items()
    ])


def test_asked_labels_are_the_flagged_the_near_and_the_cited():
    scores = {"threat": 0.93, "sectarian": 0.35, "denial": 0.01}
    assert asked_labels(scores, THRESHOLDS, ["threat"]) == ["threat", "sectarian"]  # 0.35 within 0.1 of 0.4
    assert asked_labels(scores, THRESHOLDS, ["threat"], margin=0.01) == ["threat"]
    assert asked_labels(scores, THRESHOLDS, ["threat"], cited=["denial"], margin=0.01) == ["threat", "denial"]
    assert asked_labels({"threat": 0.1, "sectarian": 0.2, "denial": 0.0}, THRESHOLDS) == ["sectarian"]  # the top one


def test_most_informative_first_nearest_threshold_then_highest_score(store, queued):
    order = [item.text for item in next_items(store, "a", limit=10)]
    # distances of the nearest asked label: 0.04 (denial .64/.6), 0.02 (threat .48/.5),
    # 0.05 (threat .55/.5; sectarian .35/.4 also 0.05), 0.37 (denial .97), 0.41 (sectarian .81), 0.43 (threat .93)
    texts = [text for text, _ in SENTENCES]
    assert order == [texts[5], texts[2], texts[3], texts[4], texts[1], texts[0]]
    assert [item.text for item in next_items(store, "a", limit=2)] == order[:2]
    assert next_items(store, "a", limit=0) == []


def test_an_item_leaves_a_reviewers_queue_once_every_asked_label_is_judged(store, queued):
    first = next_items(store, "a", limit=1)[0]
    assert first.asks == ["threat", "sectarian"] and first.flagged == ["sectarian"]
    judge(store, first.item_id, "a", sectarian="confirm")
    again = next_items(store, "a", limit=1)[0]
    assert again.item_id == first.item_id and again.judged == ["sectarian"]  # threat still asked
    judge(store, first.item_id, "a", threat="reject")
    assert first.item_id not in {item.item_id for item in next_items(store, "a", limit=10)}
    # another reviewer still gets it, first
    assert next_items(store, "b", limit=1)[0].item_id == first.item_id
    assert len(next_items(store, None, limit=10)) == 6


def test_unknown_item_label_or_verdict_is_an_error_and_nothing_is_written(store, queued):
    good = {"item_id": queued[0], "label": "threat", "verdict": "confirm", "reviewer": "a"}
    cases = {
        "item_id": {**good, "item_id": "nope"},
        "label": {**good, "label": "insult"},
        "verdict": {**good, "verdict": "maybe"},
        "reviewer": {**good, "reviewer": " "},
    }
    for field, bad in cases.items():
        with pytest.raises(VerdictError) as caught:
            record_verdicts(store, [good, good, bad])
        assert [(p["index"], p["field"]) for p in caught.value.problems] == [(2, field)]
        assert field in str(caught.value)
    assert verdict_history(store) == []
    with pytest.raises(VerdictError, match="unknown field"):
        record_verdicts(store, [{**good, "score": 1}])
    assert record_verdicts(store, [good, {**good, "label": "denial", "verdict": "reject", "note": "نفي"}]) == [1, 2]


def test_request_bodies_one_object_a_list_or_verdicts():
    one = {"item_id": "x", "label": "threat", "verdict": "confirm", "reviewer": "a"}
    assert parse_verdict_body(one) == [one]
    assert parse_verdict_body([one, one]) == [one, one]
    assert parse_verdict_body({"verdicts": [one]}) == [one]
    with pytest.raises(VerdictError):
        parse_verdict_body([])


def test_skip_unchanged_appends_only_a_change(store, queued):
    verdict = {"item_id": queued[0], "label": "threat", "verdict": "confirm", "reviewer": "a"}
    assert len(record_verdicts(store, [verdict], skip_unchanged=True)) == 1
    assert record_verdicts(store, [verdict, verdict], skip_unchanged=True) == []
    assert len(record_verdicts(store, [{**verdict, "verdict": "reject"}], skip_unchanged=True)) == 1


def test_stats_agreement_with_the_model_and_between_reviewers(store, queued):
    threat_item, sect_item, denial_item = queued[0], queued[1], queued[2]
    judge(store, threat_item, "a", threat="confirm", sectarian="reject")
    judge(store, threat_item, "b", threat="reject")
    judge(store, threat_item, "b", threat="confirm")  # b changes their mind: the latest counts
    judge(store, sect_item, "a", threat="reject", sectarian="confirm")
    judge(store, sect_item, "b", threat="reject", sectarian="confirm")
    judge(store, denial_item, "a", denial="reject", threat="confirm")
    judge(store, denial_item, "b", denial="reject", threat="reject")
    report = stats(store)
    assert (report["items"], report["verdicts"], report["reviewers"], report["items_reviewed"]) == (6, 12, 2, 3)
    threat = report["labels"]["threat"]
    # latest threat verdicts: item0 a=1 b=1 (flagged), item1 a=0 b=0, item2 a=1 b=0 (not flagged)
    assert (threat["verdicts"], threat["items"], threat["flags_judged"]) == (6, 3, 2)
    assert threat["confirm_rate_of_flags"] == 1.0
    assert threat["agreement_with_model"] == round(5 / 6, 4)
    from sklearn.metrics import cohen_kappa_score

    assert threat["pairs"] == 3
    assert threat["kappa"] == round(cohen_kappa_score([1, 0, 1], [1, 0, 0]), 4)
    assert report["labels"]["denial"]["kappa"] is None  # both reject: kappa undefined
    assert report["labels"]["denial"]["confirm_rate_of_flags"] == 0.0
    assert report["labels"]["sectarian"]["pairs"] == 1
