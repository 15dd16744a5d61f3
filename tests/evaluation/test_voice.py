from khitab.data.real.voice import VoiceItem
from khitab.evaluation.voice import speaker_matches, voice_report


def item(document, voice, speaker=None, start=0, end=None):
    return VoiceItem("x", document, start, len(document) if end is None else end, voice, speaker, "news")


def test_voice_report_counts_each_class_and_speaker_agreement():
    items = [
        item("قال الوزير إن الحكومة سترد بقوة", "reported", "الوزير"),
        item("الجو جميل اليوم في بغداد", "author"),
        item("الجو جميل اليوم في بغداد", "reported", "بغداد"),  # gold the rules cannot reach
    ]
    report = voice_report(items)
    assert report["n"] == 3
    assert report["per_class"]["author"]["support"] == 1
    assert report["per_class"]["reported"]["support"] == 2
    assert report["confusion"]["matrix"][0][0] == 1  # the author sentence read as author
    assert report["accuracy"] == round(2 / 3, 4)
    assert report["speaker"] == {"n": 1, "match": 1.0}


def test_speaker_spans_match_when_one_contains_the_other():
    assert speaker_matches("لافروف", "سيرغي لافروف")
    assert not speaker_matches("لافروف", "بوتين")
    assert not speaker_matches("لافروف", None)


def test_voice_report_breaks_accuracy_down_by_annotation_wave():
    from dataclasses import replace

    items = [replace(item("قال الوزير إن الحكومة سترد بقوة", "reported", "الوزير"), wave=1),
             replace(item("الجو جميل اليوم في بغداد", "author"), wave=2),
             replace(item("الجو جميل اليوم في بغداد", "reported", "بغداد"), wave=2)]
    assert voice_report(items)["by_wave"] == {"1": 1.0, "2": 0.5}
