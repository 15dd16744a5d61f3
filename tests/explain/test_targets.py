import pytest

from khitab.explain.targets import sect_targets, target_groups


def _found(text: str) -> list[tuple[str, str, bool]]:
    targets = sect_targets(text)
    assert all(text[t.start:t.end] == t.text for t in targets)
    return [(t.text, t.group, t.slur) for t in targets]


@pytest.mark.parametrize("text, expected", [
    ("نحن أبناء الشيعة نعرف كيف ننتقم", [("الشيعة", "shia", False)]),
    ("نحن كشيعة نفتخر بقادتنا", [("كشيعة", "shia", False)]),
    ("الروافض والنواصب أعداء", [("الروافض", "shia", True), ("والنواصب", "sunni", True)]),
    ("هؤلاء صفويون ومجوس", [("صفويون", "shia", True), ("ومجوس", "shia", True)]),
    ("شروكية ما يستاهلون", [("شروكية", "shia", True)]),
    ("النصيرية والعلويين في الساحل", [("النصيرية", "alawite", True), ("والعلويين", "alawite", False)]),
    ("أهل السنّة في الأنبار", [("أهل السنّة", "sunni", False)]),
    ("السنة والشيعة إخوة", [("السنة", "sunni", False), ("والشيعة", "shia", False)]),
    ("للمسيحيين والأقباط والموارنة", [("للمسيحيين", "christian", False), ("والأقباط", "copt", False),
                                      ("والموارنة", "maronite", False)]),
    ("الدروز والإيزيديين واليهود", [("الدروز", "druze", False), ("والإيزيديين", "yazidi", False),
                                    ("واليهود", "jewish", False)]),
    ("يا أحفاد القردة والخنازير", [("أحفاد القردة", "jewish", True)]),
    ("حزب اللات وأحفاد يزيد", [("حزب اللات", "shia", True), ("وأحفاد يزيد", "sunni", True)]),
    ("الطائفة العلوية والوهابية والسلفيين والصوفية", [
        ("الطائفة العلوية", "alawite", False), ("والوهابية", "salafi", True), ("والسلفيين", "salafi", False),
        ("والصوفية", "sufi", False)]),
    ("عضمة زرقا", [("عضمة زرقا", "alawite", True)]),
    ("الدرزي والإسماعيليين", [("الدرزي", "druze", False), ("والإسماعيليين", "ismaili", False)]),
])
def test_names_adjectives_prefixes_and_slurs_resolve_to_groups(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text", [
    "في السنة الماضية ارتفعت الأسعار",  # year
    "الطابق العلوي من المبنى",  # upper
    "فاز الإسماعيلي على الأهلي",  # football club
    "قال يزيد إنه سيحضر",  # first name
    "عاد منتظر الزيدي إلى بغداد",  # surname
    "المسيح عليه السلام",  # Christ
])
def test_words_that_are_mostly_something_else_are_not_targets(text):
    assert _found(text) == []


def test_targets_keep_document_offsets_and_groups_in_order():
    doc = "سطر أول.\nوأضاف \"نحن أبناء الشيعة ننتقم من آل بني أمية\""
    start = doc.index("وأضاف")
    targets = sect_targets(doc, start, len(doc))
    assert [doc[t.start:t.end] for t in targets] == ["الشيعة", "بني أمية"]
    assert target_groups(targets) == ["shia", "sunni"]
