from pathlib import Path

import pytest

from khitab.explain.quotes import quote_regions
from khitab.explain.voice import sentence_voice
from khitab.text.split import split_sentences

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "elaph_qaani_2022.txt").read_text(encoding="utf-8")


def _voice(doc: str, sentence_fragment: str, content_word: str | None = None):
    sentences = split_sentences(doc)
    sentence = next(s for s in sentences if sentence_fragment in s.text)
    content = []
    if content_word is not None:
        at = doc.index(content_word, sentence.start)
        content = [(at, at + len(content_word))]
    voice = sentence_voice(doc, sentence.start, sentence.end, content, sentences)
    if voice.speaker is not None:
        assert doc[voice.speaker.start:voice.speaker.end] == voice.speaker.text
    return voice.voice, None if voice.speaker is None else voice.speaker.text


@pytest.mark.parametrize("fragment, cue, voices, speaker", [
    ("قال قاآني الجمعة", "الانتقام", {"reported"}, "قاآني"),
    ("وقال العميد اسماعيل قاآني", "مضاجعهم", {"quoted"}, "العميد اسماعيل قاآني قائد فيلق القدس"),
    ("وأشار قاآني إلى أنه", "الانتقام", {"quoted", "reported"}, "قاآني"),
    ("كاذبين بقولهم", "كاذبين", {"quoted"}, "قا آني"),
    ("نحن أبناء الشيعة", "الشيعة", {"quoted"}, "قا آني"),
    # «وقال "نحن كشيعة ...»: no subject after the verb, the previous sentence's speaker
    ("نحن كشيعة", "كشيعة", {"quoted"}, "قا آني"),
    # «وقال في كلمة له ...»: the speech continues the speaker two sentences up
    ("بتكتيكاتنا الخاصة", "بتكتيكاتنا", {"quoted"}, "قاآني"),
    # the Kadhimi tweet opens in one sentence and closes in the next
    ("أصبح دور التحالف", "يقتصر", {"quoted"}, "الكاظمي"),
    ("وكان رئيس الوزراء العراقي", "عبثية", {"quoted"}, "رئيس الوزراء العراقي مصطفى الكاظمي"),
    ("وأطلقت خمسة صواريخ", "صواريخ", {"author"}, None),
])
def test_seed_article_voices_and_speakers(fragment, cue, voices, speaker):
    voice, who = _voice(SEED, fragment, cue)
    assert voice in voices
    assert who == speaker


@pytest.mark.parametrize("text, voice, speaker", [
    ("سنحرق بيوتهم إن لم يرحلوا من الحي", "author", None),
    ("هدد الحوثيون باستهداف السفن في البحر الأحمر", "reported", "الحوثيون"),
    ("وتوعدت الجماعة بالانتقام لمقتل قائدها", "reported", "الجماعة"),
    ("ونقل عن مصدر أمني أن المسلحين سيهاجمون المعسكر", "reported", "مصدر أمني"),
    ("بحسب وزير الداخلية، الهجمات ستستمر", "reported", "وزير الداخلية"),
    ("وفقاً لمصادر أمنية فإن المسلحين سيهاجمون", "reported", "مصادر أمنية"),
    ("حذرت الحكومة من الانتقام", "reported", "الحكومة"),
    ("گال الشيخ راح نذبحهم", "reported", "الشيخ"),
    ("وجاء التهديد على لسان المتحدث العسكري للجماعة", "reported", "المتحدث العسكري"),
    ("بيقول الشيخ انو لازم نحرقهم كلهم", "reported", "الشيخ"),
    ("يقول الناشطون إن المليشيا ستقتحم المدينة", "reported", "الناشطون"),
    ("وكان القائد قد اعتبر أن الحرب قادمة", "reported", "القائد"),
    ("أكدت الوزارة أمس أن الخبر مفبرك", "reported", "الوزارة"),
    ('قال الوزير: "سنضرب بيد من حديد كل من يعتدي علينا', "quoted", "الوزير"),
    ("يذكر أن الهجوم وقع أمس في المدينة", "author", None),
    ("ارتفعت الأسعار وزاد الطلب على الوقود", "author", None),
    ('نشرت الصحيفة مقالا بعنوان "الحرب" عن تاريخ المنطقة والمعارك القديمة فيها', "author", None),
])
def test_hand_written_sentences(text, voice, speaker):
    assert _voice(text, text) == (voice, speaker)


def test_attribution_after_the_quote_names_the_speaker():
    doc = "«سننتقم منهم جميعا» قال القائد الميداني"
    assert _voice(doc, doc, "سننتقم") == ("quoted", "القائد الميداني")


def test_quote_across_sentences_keeps_its_speaker():
    doc = 'قال الزعيم: "لن نرحم أحدا. سنحرق كل شيء" وسط هتافات أنصاره.'
    assert _voice(doc, "سنحرق كل شيء", "سنحرق") == ("quoted", "الزعيم")


def test_reported_continuation_takes_the_earlier_speaker():
    doc = "قال الجنرال إن قواته جاهزة. وأضاف أن الرد سيكون قاسيا على من يهاجمهم."
    assert _voice(doc, "وأضاف أن الرد", "قاسيا") == ("reported", "الجنرال")


def test_quote_regions_read_unbalanced_and_directional_marks():
    text = 'وأشار إلى أنه "ليس "بالضرورة أن نكون هنا'
    assert quote_regions(text, 0, len(text)) == [(text.index('"'), len(text))]  # stray opener, unclosed
    text = 'قال " إن كانوا عقلاء فليرحلوا" في إشارة'
    [(s, e)] = quote_regions(text, 0, len(text))
    assert text[s:e] == '" إن كانوا عقلاء فليرحلوا"'
    assert quote_regions("don't «قف»", 0, 10) == [(6, 10)]  # a Latin apostrophe is no quote


def test_cue_weights_decide_whether_the_content_is_quoted():
    doc = 'وأضاف الوزير "إن خصومنا كاذبين" في إشارة إلى تصريحات سابقة للحكومة المجاورة'
    spans = [(doc.index(w), doc.index(w) + len(w)) for w in ("كاذبين", "تصريحات سابقة", "للحكومة المجاورة")]
    equal = sentence_voice(doc, 0, len(doc), spans)
    weighted = sentence_voice(doc, 0, len(doc), spans, weights=[0.5, 0.05, 0.03])
    assert (equal.voice, weighted.voice) == ("reported", "quoted")
    assert weighted.speaker.text == "الوزير"
