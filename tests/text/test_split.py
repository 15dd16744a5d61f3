import json

import pytest

from khitab.text.split import split_sentences
from tests.conftest import SEED_GOLD, SEED_TEXT


def texts(text):
    return [span.text for span in split_sentences(text)]


def test_every_seed_gold_fragment_lies_in_exactly_one_sentence():
    text = SEED_TEXT.read_text(encoding="utf-8")
    spans = split_sentences(text)
    fragments = [json.loads(line)["fragment"] for line in SEED_GOLD.read_text(encoding="utf-8").splitlines()]
    assert len(fragments) == 17
    for fragment in fragments:
        holders = [span for span in spans if fragment in span.text]
        assert len(holders) == 1, fragment


def test_offsets_reproduce_each_sentence_of_the_seed():
    text = SEED_TEXT.read_text(encoding="utf-8")
    spans = split_sentences(text)
    assert len(spans) >= 17
    for span in spans:
        assert text[span.start:span.end] == span.text
        assert span.text == span.text.strip()
    starts = [span.start for span in spans]
    assert starts == sorted(starts)


def test_headlines_without_final_stop_are_their_own_sentences():
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert "تكذيب الإنسحاب الأميركي" in texts(text)
    assert "تحريض طائفي" in texts(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ارتفع السعر 2.5 بالمئة. وتراجع الطلب.", ["ارتفع السعر 2.5 بالمئة.", "وتراجع الطلب."]),
        ("هل انتهى الأمر؟ لا أظن!", ["هل انتهى الأمر؟", "لا أظن!"]),
        ("قال الوزير؛ ثم غادر", ["قال الوزير؛", "ثم غادر"]),
        ("وقال: \"سنرد بقوة.\" وأضاف أن الرد قريب.", ["وقال: \"سنرد بقوة.\"", "وأضاف أن الرد قريب."]),
        ("وقال «لن نسكت!» ثم انصرف", ["وقال «لن نسكت!»", "ثم انصرف"]),
        ("انتظرنا طويلا... ثم جاء الخبر", ["انتظرنا طويلا... ثم جاء الخبر"]),
        ("انتظرنا… ثم جاء", ["انتظرنا… ثم جاء"]),
        ("شو هاد؟!والله عيب", ["شو هاد؟!", "والله عيب"]),
        ("The U.S. forces left Iraq. ثم عادت القوات", ["The U.S. forces left Iraq.", "ثم عادت القوات"]),
        ("قابلت Dr. Smith في بغداد. كان اللقاء قصيرا", ["قابلت Dr. Smith في بغداد.", "كان اللقاء قصيرا"]),
        ("زوروا www.example.com للمزيد", ["زوروا www.example.com للمزيد"]),
        ("عاجل\nانفجار في الميناء\n\nالتفاصيل لاحقا", ["عاجل", "انفجار في الميناء", "التفاصيل لاحقا"]),
        ("  \n ... \n", []),
        ("", []),
    ],
)
def test_split_rules(text, expected):
    spans = split_sentences(text)
    assert [s.text for s in spans] == expected
    assert all(text[s.start:s.end] == s.text for s in spans)


def test_windows_line_endings_keep_offsets():
    text = "السطر الأول\r\nالسطر الثاني."
    spans = split_sentences(text)
    assert [text[s.start:s.end] for s in spans] == ["السطر الأول", "السطر الثاني."]
