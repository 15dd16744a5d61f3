"""L-HSAB (Syrian/Lebanese political tweets, normal/abusive/hate) -> sectarian, threat negatives.

``sectarian``: "hate" (abuse demeaning a group by religion, race, gender...) -> 1 only when the
tweet names a sect or uses a sect slur (``_lexicon``), which in this Levantine political corpus
is nearly always sectarian abuse; hate without a sect term -> unknown (party nicknames and coded
references are missed). "normal"/"abusive" -> 0 only when no sect is named: the corpus has
non-abusive sectarian framing labelled normal ("I'm proud of my sect"), so those stay unknown.
``threat``: normal -> 0, abusive/hate -> unknown. ``denial``: absent. Three records whose quoted
text spans lines are rejoined.
"""
from __future__ import annotations

from pathlib import Path

from khitab.data.external._common import Collector, SourceSpec, read_tsv
from khitab.data.external._hsab import labels_for
from khitab.data.schema import Example

NAME = "lhsab"
SPEC = SourceSpec(
    name=NAME,
    folder="L-HSAB",
    files=("Dataset/L-HSAB",),
    repository="https://github.com/Hala-Mulki/L-HSAB-First-Arabic-Levantine-HateSpeech-Dataset",
    commit="9abf6b6d05f484b67cd85a4a61476c51b5cc1910",
)


def load(root: Path) -> list[Example]:
    (path,) = SPEC.require(root)
    out = Collector(NAME, dialect="levantine", register="social")
    for row, (text, cls) in enumerate(read_tsv(path, ncols=2, text_col=0, header=True), 1):
        labels = labels_for(text, cls)
        if labels is not None:
            out.add(row, text, labels, meta={"orig": cls.strip()})
    return out.examples()
