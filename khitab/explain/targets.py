"""Which sects or religious communities a sectarian framing is about, normalized to group ids.

Words are matched folded (``fold_keywords``) with a proclitic stripped (و ف ب ل ك ال وال بال
لل ...), so «والشيعة», «كشيعة», «للمسيحيين» all resolve; nisba adjectives come in their
masculine, feminine and plural forms. Slurs and epithets of the guidelines resolve to the
community they insult and are marked ``slur``. Left out because they mostly mean something
else: سنة alone ("year"; kept in «أهل السنة» and Sunni-Shia pairs), علوي/علوية singular ("upper"),
اسماعيلي/اسماعيلية singular (a football club and a city), يزيد (a first name); political
movements (Houthis, the Muslim Brotherhood, Hezbollah by its name) are not sects (guidelines).
Salafi and Wahhabi share one id, ``salafi``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from khitab.text.normalize import fold_keywords
from khitab.text.split import Span
from khitab.text.words import NISBA, bare_forms, word_forms, word_spans

# group -> (stems taking the nisba endings, whole words), all folded.
_NAMES = {
    "sunni": ("سن", ""),
    "shia": ("شيع", "شيعه شيعيه متاوله متوالي"),
    "alawite": ("", "علويين علويون"),
    "druze": ("درز", "دروز"),
    "ismaili": ("", "اسماعيليين اسماعيليون"),
    "christian": ("مسيح نصران ارثوذكس كاثوليك كلدان سريان", "مسيحيه نصاري مسحيين"),
    "copt": ("قبط", "اقباط"),
    "maronite": ("مارون", "موارنه"),
    "yazidi": ("يزيد ايزيد", ""),
    "jewish": ("يهود", "يهود"),
    "sufi": ("صوف", "متصوفه صوفيه"),
    "salafi": ("سلف", "سلفيه"),
    "zaidi": ("زيد", ""),
    "ibadi": ("اباض", ""),
    "bahai": ("بهائ", ""),
    "mandaean": ("مندائ", "صابئه"),
}
# group -> slur stems (nisba endings) and whole slur words, folded.
_SLURS = {
    "shia": ("رافض صفو مجوس شروك شروگ", "روافض رافضه مجوس"),
    "sunni": ("ناصب", "نواصب"),
    "alawite": ("نصير", ""),
    "salafi": ("وهاب", "وهابيه"),
    "christian": ("صليب", ""),
}
# Multi-word names and epithets: (folded words, group, slur).
_PHRASES = [
    ("اهل السنه", "sunni", False), ("المسلمين السنه", "sunni", False), ("العرب السنه", "sunni", False),
    ("الطائفه العلويه", "alawite", False),
    ("الطائفه الاسماعيليه", "ismaili", False), ("الطائفه السنيه", "sunni", False),
    ("بني معروف", "druze", False), ("احفاد يزيد", "sunni", True), ("بني اميه", "sunni", True),
    ("ال اميه", "sunni", True), ("احفاد معاويه", "sunni", True), ("ابن العلقمي", "shia", True),
    ("ابناء المتعه", "shia", True), ("اولاد المتعه", "shia", True), ("حزب اللات", "shia", True),
    ("عضمه زرقا", "alawite", True), ("عظمه زرقاء", "alawite", True), ("عبده الصليب", "christian", True),
    ("عباد الصليب", "christian", True), ("احفاد القرده", "jewish", True), ("القرده والخنازير", "jewish", True),
    ("عبده الشيطان", "yazidi", True), ("عباد الشيطان", "yazidi", True),
]
# Singulars that are mostly surnames or other words (الزيدي, الصوفي "woolen").
_NOT_NAMES = frozenset({"زيدي", "صوفي"})
# سنة is "year" unless a Shia word stands within this many words («السنة والشيعة»).
_SUNNA = "سنه"
_SUNNA_WINDOW = 2
_MAX_PHRASE = max(len(p.split()) for p, _, _ in _PHRASES)


def _lexicon() -> dict[str, tuple[str, bool]]:
    table: dict[str, tuple[str, bool]] = {}
    for slur, source in ((False, _NAMES), (True, _SLURS)):
        for group, (stems, words) in source.items():
            for form in word_forms(stems, NISBA) | word_forms(words):
                table.setdefault(form, (group, slur))
    for form in _NOT_NAMES:
        table.pop(form, None)
    return table


WORDS = _lexicon()
PHRASES = {tuple(p.split()): (group, slur) for p, group, slur in _PHRASES}


@dataclass(frozen=True)
class Target:
    start: int
    end: int
    text: str
    group: str
    slur: bool

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "group": self.group, "slur": self.slur}


def sect_targets(document: str, start: int = 0, end: int | None = None) -> list[Target]:
    """Sect and religious-community mentions in ``document[start:end]``, in text order, each
    with offsets into ``document`` and its group id; a phrase wins over the words inside it."""
    words = word_spans(document, start, end)
    folded = [fold_keywords(w.text) for w in words]
    found: list[Target] = []
    i = 0
    while i < len(words):
        n, entry = _match_at(folded, i)
        if entry is not None:
            s, e = words[i].start, words[i + n - 1].end
            found.append(Target(s, e, document[s:e], *entry))
        i += max(n, 1)
    return found


def _match_at(folded: list[str], i: int) -> tuple[int, tuple[str, bool] | None]:
    """(words matched, (group, slur)) at word ``i``: the longest phrase, else one word."""
    for n in range(min(_MAX_PHRASE, len(folded) - i), 1, -1):
        window = folded[i:i + n]
        for first in bare_forms(window[0]):
            entry = PHRASES.get((first, *window[1:]))
            if entry is not None:
                return n, entry
    for form in bare_forms(folded[i]):
        if form in WORDS:
            return 1, WORDS[form]
        if form == _SUNNA and _shia_nearby(folded, i):
            return 1, ("sunni", False)
    return 1, None


def _shia_nearby(folded: list[str], i: int) -> bool:
    near = folded[max(0, i - _SUNNA_WINDOW):i] + folded[i + 1:i + 1 + _SUNNA_WINDOW]
    return any(WORDS.get(form, ("", False))[0] == "shia" for word in near for form in bare_forms(word))


def target_groups(targets: list[Target]) -> list[str]:
    """The distinct groups, in order of first mention."""
    return list(dict.fromkeys(t.group for t in targets))


def as_span(target: Target) -> Span:
    return Span(target.start, target.end, target.text)
