from khitab.text import ArabertNormalizer, arabic_ratio, clean_social, fold_orthography, is_arabic


def test_arabert_normalizer_applies_v2_pretraining_rules():
    normalize = ArabertNormalizer()
    out = normalize("قالَ الوزيرُ: إنّ الخبــــر كاذب @user http://t.co/x 2.5")
    assert "َ" not in out and "ّ" not in out  # diacritics stripped
    assert "ـ" not in out  # tatweel stripped
    assert "[مستخدم]" in out and "[رابط]" in out
    assert "الوزير :" in out  # punctuation separated by spaces
    assert "إن" in out  # hamza forms are kept (AraBERT v2 does not fold them)


def test_fold_orthography_merges_spelling_variants():
    assert fold_orthography("أعلنت المدينة") == fold_orthography("اعلنت المدينه")
    assert fold_orthography("علىٰ") == fold_orthography("علي")
    assert fold_orthography("مرحبــــــا") == "مرحبا"
    assert fold_orthography("هههههههه") == "هه"
    assert fold_orthography("2000") == "2000"  # digits may repeat


def test_clean_social_strips_handles_urls_and_placeholders():
    assert clean_social("@abc شوفوا https://x.co/a هذا USER URL <LF> الكلام") == "شوفوا هذا الكلام"
    assert clean_social("ايميلي a@b.com") == "ايميلي a@b.com"


def test_arabic_ratio():
    assert is_arabic("هذا نص عربي")
    assert not is_arabic("this is English")
    assert arabic_ratio("1234 !!") == 0.0
    assert arabic_ratio("نصنص text") == 0.5
