"""The voice rules added for the annotation brief's definitions, on hand-written sentences."""
import pytest

from khitab.explain.colons import colon_speech
from khitab.explain.quotes import quote_regions
from khitab.explain.reporting import verb_strength
from khitab.explain.voice import sentence_voice
from khitab.text.words import word_spans


def _voice(document: str):
    found = sentence_voice(document, 0, len(document))
    if found.speaker is not None:
        assert document[found.speaker.start:found.speaker.end] == found.speaker.text
    return found.voice, None if found.speaker is None else found.speaker.text


@pytest.mark.parametrize("text, speaker", [
    ("الرئاسة: سنرد على أي عدوان بكل قوة", "الرئاسة"),
    ("وزير الداخلية الليبي: لن نسمح بالفوضى في طرابلس", "وزير الداخلية الليبي"),
    ("#حساب_الشيخ : الصبر مفتاح الفرج يا قوم", "حساب_الشيخ"),
])
def test_a_short_name_before_a_colon_quotes_its_speaker(text, speaker):
    assert _voice(text) == ("quoted", speaker)


def test_a_reporting_verb_before_a_colon_quotes_without_quotation_marks():
    assert _voice("وقال الناطق باسم الجيش: سنلاحقهم في كل مكان") == ("quoted", "الناطق باسم الجيش")


@pytest.mark.parametrize("text", [
    "عاجل: انفجار قرب السفارة في وسط العاصمة",  # a label, not a speaker
    "يبدأ الاجتماع في الساعة 10:30 صباحا بتوقيت المدينة",  # a clock time
    "أزمة الميناء في الجنوب: الحكومة تعيد فتح الطريق",  # a topic with a preposition
])
def test_colons_that_introduce_no_speech(text):
    assert _voice(text)[0] == "author"


def test_a_topic_before_a_colon_gives_way_to_the_reporting_verb_after_it():
    assert _voice("أزمة الحدود: الخارجية تنفي إرسال قوات") == ("reported", "الخارجية")


@pytest.mark.parametrize("text, speaker", [
    ("البرلمان يرفض تعديل قانون الانتخابات", "البرلمان"),
    ("غرق عبارة قرب الشاطئ والبحرية تنفي وجود ناجين", "البحرية"),
    ("وزير المالية يحذر من انهيار العملة", "وزير المالية"),
])
def test_a_headline_subject_before_an_imperfect_reporting_verb_is_the_speaker(text, speaker):
    assert _voice(text) == ("reported", speaker)


def test_a_perfect_verb_without_a_name_after_it_takes_the_subject_before_it():
    assert _voice("سلمى أكدت أيضاً أن الحفل تأجل إلى الشهر المقبل") == ("reported", "سلمى")


def test_a_quote_opening_right_after_a_reporting_verb_is_the_sentences_message():
    text = 'قال المدرب "كانت ليلة لن ننساها" بعد المباراة الصعبة أمام فريق العاصمة في الدوري.'
    assert _voice(text) == ("quoted", "المدرب")


def test_a_participle_speaker_is_the_subject_of_the_sentences_first_verb():
    text = 'وهنأ خالد اللاعبين بعد الفوز في النهائي، قائلا: "أنتم فخر هذه المدينة كلها".'
    voice, speaker = _voice(text)
    assert voice == "quoted" and "خالد" in speaker


def test_a_quotation_mark_right_after_a_colon_opens_even_before_a_space():
    text = 'قال:" سنعود قريبا".'
    assert quote_regions(text, 0, len(text)) == [(4, len(text) - 1)]


@pytest.mark.parametrize("form", ["ترفض", "رفضت", "ينتقد", "طالب", "يطالبون", "ندد", "أدانت"])
def test_positions_and_demands_are_reporting_verbs(form):
    assert verb_strength(form) == "strong"


def test_colon_speech_runs_from_the_colon_to_the_sentence_end():
    text = "الرئاسة: سنرد بقوة"
    speech = colon_speech(text, 0, len(text), word_spans(text))
    assert (speech.start, speech.end, speech.speaker.text) == (8, len(text), "الرئاسة")


def test_a_colon_closing_a_weak_verbs_short_phrase_quotes():
    assert _voice("رئيس البلدية يرد على المعارضين: اصبروا قليلا") == ("quoted", "رئيس البلدية")


def test_a_weak_verbs_complementizer_may_follow_a_long_subject():
    text = "واعتبر تقرير صادر عن لجنة الرقابة المالية في الوزارة أن العقود مخالفة للقانون"
    assert _voice(text)[0] == "reported"


def test_a_paper_publishing_a_claim_reports_it():
    assert _voice("نشرت مجلة رياضية أن المدرب سيرحل في الصيف")[0] == "reported"
    assert _voice("نشرت الفرقة صورا جديدة من الحفل")[0] == "author"  # no claim: publishing only


@pytest.mark.parametrize("text, speaker", [
    ("ووصفت الوزارة، في بيان، الهجوم بأنه عمل جبان", "الوزارة"),
    ("وأعربت وزارة الخارجية عن قلقها من التصعيد", "وزارة الخارجية"),
    ("ويشكو المزارعون من غلاء الأسمدة", "المزارعون"),
])
def test_descriptions_expressions_and_complaints_are_reporting_verbs(text, speaker):
    assert _voice(text) == ("reported", speaker)


def test_an_imperfect_verb_with_an_object_suffix_is_a_reporting_verb():
    assert _voice("ألمانيا تستضيف القمة وفرنسا تنتقدها") == ("reported", "فرنسا")
    assert verb_strength("رفضه") is None  # a perfect or masdar with a suffix: "his refusal"


@pytest.mark.parametrize("text", [
    "ورغم الأصوات التي تتهم الحكومة بالفساد نجحت الخطة",
    "وهناك من الكتاب ممن يدعون أنهم خبراء في كل شيء",
])
def test_a_reporting_verb_in_a_relative_clause_describes_a_noun(text):
    assert _voice(text) == ("author", None)


def test_a_quote_glued_to_a_preposition_is_a_mention_not_speech():
    text = 'واتهمت الشرطة الرجل بالانتماء لـ"الجبهة الشعبية لتحرير فلسطين"'
    content = [(text.index("الجبهة"), text.index("فلسطين") + len("فلسطين"))]
    assert sentence_voice(text, 0, len(text), content).voice == "reported"
    speech = 'وقالت الشرطة "الجبهة الشعبية لتحرير فلسطين مسؤولة"'
    content = [(speech.index("الجبهة"), speech.index("مسؤولة"))]
    assert sentence_voice(speech, 0, len(speech), content).voice == "quoted"


def test_a_sentence_initial_conjunction_is_no_part_of_the_subject():
    assert _voice("فالحكومة تتهم المعارضة بالتحريض") == ("reported", "الحكومة")


def test_ornamental_quotation_marks_quote():
    text = "قال الشيخ: ❞الصبر مفتاح الفرج والعمل طريق النجاح❝"
    assert quote_regions(text, 0, len(text)) == [(text.index("❞"), len(text))]


@pytest.mark.parametrize("text", [
    "لبنان: وصل الرئيس إلى المطار وسط إجراءات أمنية مشددة",
    "السودان: الحكم بسجن مسؤولين سابقين في قضية فساد",
])
def test_a_one_word_place_tag_before_narration_is_a_dateline(text):
    assert _voice(text) == ("author", None)


@pytest.mark.parametrize("text, speaker", [
    ("لبنان: لن نقبل بأي تدخل في شؤوننا", "لبنان"),
    ("السودان: لا صحة لأنباء إغلاق الحدود", "السودان"),
    ("قطر: سنواصل الوساطة بين الطرفين", "قطر"),
])
def test_a_place_tag_before_a_claim_or_first_person_quotes_its_government(text, speaker):
    assert _voice(text) == ("quoted", speaker)


def test_a_reporting_verb_in_a_later_joined_clause_leaves_the_colon_its_speaker():
    assert _voice("النقابة: لا اتفاق حتى الآن والحكومة ترفض الحوار") == ("quoted", "النقابة")


@pytest.mark.parametrize("text, speaker", [
    ("الدفاع المدني: لم نتلق أي بلاغ يفيد بوجود ضحايا", "الدفاع المدني"),
    ("المذيع: الحكومة حذرت المواطنين مما تخططون له أنتم", "المذيع"),
])
def test_first_and_second_person_speech_after_a_colon_is_quoted(text, speaker):
    assert _voice(text) == ("quoted", speaker)



def test_a_long_name_is_not_cut_after_a_linking_word():
    text = "وأكد وزير الصحة الليبي عبد الله بن سالم أن التحقيق مستمر"
    assert _voice(text) == ("reported", "وزير الصحة الليبي عبد الله بن سالم")


def test_mourning_is_a_reporting_verb():
    assert _voice("ونعت النقابة، في بيان مقتضب، الفنان الراحل") == ("reported", "النقابة")


def test_encouraging_someone_to_do_something_reports():
    assert _voice("وشجع المدرب لاعبيه على أن يواصلوا القتال")[0] == "reported"
    assert _voice("شجع الجمهور فريقه طوال المباراة")[0] == "author"  # cheering: no complement


def test_a_reporting_verb_after_a_dialect_relative_describes_a_noun():
    assert _voice("شوف الناس اللي بتقول الحق كيف بيتعاملوا معهم") == ("author", None)


@pytest.mark.parametrize("text, speaker", [
    ("تهديدات من قائد الجيش للمتمردين في الشمال", "قائد الجيش"),
    ("اعتذار من الاتحاد الدولي لكرة القدم", "الاتحاد الدولي لكرة القدم"),
    ("اتهامات للشركة بتسريب بيانات العملاء", None),
    ("أنباء عن استقالة رئيس البلدية", None),
    ("تحذيرات من انهيار السد بعد الأمطار", None),  # من names the danger
])
def test_a_headline_opening_with_a_speech_noun_reports(text, speaker):
    assert _voice(text) == ("reported", speaker)


def test_a_speech_noun_in_a_construct_is_no_headline_report():
    assert _voice("اتهامات الفساد تلاحق المشروع منذ سنوات") == ("author", None)


@pytest.mark.parametrize("text", [
    "والله لو كنت مكانه كنت رفضت العرض من أول يوم",
    "انا أكدت لكم من زمان إن الموضوع مش هيكمل",
])
def test_a_verb_after_a_first_person_word_is_the_writers_own(text):
    assert _voice(text) == ("author", None)
