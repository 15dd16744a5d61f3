from khitab.text.normalize import fold_keywords
from khitab.text.words import bare_forms, only_spans, with_spans_removed, word_spans


def test_word_spans_index_the_original_text_with_diacritics_and_tatweel():
    text = "قالَ الوزيـــرُ: «الانتقام قد بدأ» (2500 جندي)"
    words = word_spans(text)
    assert [w.text for w in words] == ["قالَ", "الوزيـــرُ", "الانتقام", "قد", "بدأ", "2500", "جندي"]
    assert all(text[w.start:w.end] == w.text for w in words)
    inner = word_spans(text, text.index("«"), text.index("»"))
    assert [w.text for w in inner] == ["الانتقام", "قد", "بدأ"]


def test_bare_forms_strip_one_proclitic_keeping_three_letters():
    assert "شيعه" in bare_forms(fold_keywords("كشيعة"))
    assert "دروز" in bare_forms("والدروز")
    assert bare_forms("بلد") == ["بلد"]  # a two-letter rest is no word


def test_spans_cut_out_and_kept():
    text = "xx نحن أبناء الشيعة نعرف كيف ننتقم yy"
    start, end = 3, len(text) - 3
    shia = (text.index("الشيعة"), text.index("الشيعة") + len("الشيعة"))
    revenge = (text.index("ننتقم"), text.index("ننتقم") + len("ننتقم"))
    assert with_spans_removed(text, start, end, [revenge, shia]) == "نحن أبناء نعرف كيف"
    assert only_spans(text, [revenge, shia]) == "الشيعة ننتقم"
