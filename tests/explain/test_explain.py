import json

import pytest

from khitab.explain import Explainer, explain_document
from tests.explain.keyword_model import keyword_model

DOC = ("تقرير إخباري\n"
       "وقال القائد \"إن الانتقام قادم لا محالة\" في كلمته.\n"
       "وأضاف أن الأميركيين كاذبين في كل ما يقولون.\n"
       "نحن أبناء الشيعة لا ننسى.\n"
       "الطقس معتدل اليوم.")


def _check_offsets(rows):
    for row in rows:
        for cues in row.get("cues", {}).values():
            for cue in cues:
                assert DOC[cue["start"]:cue["end"]] == cue["text"]
        if row.get("speaker"):
            assert DOC[row["speaker"]["start"]:row["speaker"]["end"]] == row["speaker"]["text"]
        for target in row.get("targets", {}).get("sectarian", []):
            assert DOC[target["start"]:target["end"]] == target["text"]


def test_flagged_sentences_get_cues_voice_speaker_and_targets_in_two_model_calls():
    model = keyword_model()
    scored = model.score_document(DOC, doc_id="d1")
    model.batches.clear()
    rows = explain_document(model, DOC, scored)
    assert len(model.batches) == 2  # words, then phrases around the strongest words
    _check_offsets(rows)
    title, threat, denial, sect, weather = rows
    assert title == scored[0].to_row() and weather == scored[4].to_row()  # unflagged: untouched
    assert [c["text"] for c in threat["cues"]["threat"]] == ["الانتقام"]
    assert threat["voice"] == "quoted" and threat["speaker"]["text"] == "القائد"
    assert [c["text"] for c in denial["cues"]["denial"]] == ["كاذبين"]
    assert denial["voice"] == "reported" and denial["speaker"]["text"] == "القائد"  # from the sentence before
    assert [c["text"] for c in sect["cues"]["sectarian"]] == ["الشيعة"]
    assert sect["voice"] == "author" and sect["speaker"] is None
    assert [(t["text"], t["group"]) for t in sect["targets"]["sectarian"]] == [("الشيعة", "shia")]
    assert "targets" not in threat  # targets come with a sectarian explanation
    json.dumps(rows, ensure_ascii=False)  # rows stay JSON


def test_all_labels_on_request_and_named_labels():
    model = keyword_model()
    scored = [s.to_row() for s in model.score_document(DOC)]
    rows = explain_document(model, DOC, scored, labels="all")
    assert all(set(row["cues"]) == {"threat", "sectarian", "denial"} for row in rows)
    assert rows[1]["cues"]["denial"] == []  # nothing in it drives denial
    named = explain_document(model, DOC, scored, labels=["sectarian"])
    assert all(set(row["cues"]) == {"sectarian"} and "targets" in row for row in named)
    assert explain_document(model, DOC, scored, labels="denial")[2]["cues"]["denial"][0]["text"] == "كاذبين"
    with pytest.raises(ValueError, match="hate"):
        explain_document(model, DOC, scored, labels=["hate"])


def test_explainer_scores_and_explains_a_document():
    model = keyword_model()
    rows = Explainer(model).score_document(DOC, doc_id="d1")
    assert [row["doc_id"] for row in rows] == ["d1"] * 5
    assert [bool(row.get("cues")) for row in rows] == [False, True, True, True, False]
    assert [row["scores"] for row in rows] == [s.to_row()["scores"] for s in model.score_document(DOC)]


def test_several_documents_share_the_calls_and_the_async_path_gives_the_same_rows():
    import asyncio

    from khitab.explain import explain_documents, explain_documents_async

    model = keyword_model()
    other = "خبر قصير.\nنحن أبناء الشيعة لا ننسى."
    scored = [model.score_document(DOC), model.score_document(other)]
    model.batches.clear()
    rows = explain_documents(model, [DOC, other], scored)
    assert len(model.batches) == 2
    assert rows[0] == explain_document(model, DOC, scored[0])
    assert rows[1][1]["cues"]["sectarian"][0]["text"] == "الشيعة"

    async def predict(texts):
        return model.predict_proba(texts)

    assert asyncio.run(explain_documents_async(model.labels, predict, [DOC, other], scored)) == rows
