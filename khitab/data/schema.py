"""The one in-memory record every data source is turned into."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Example:
    """A labeled sentence (or short text).

    ``labels`` maps every label name a source knows about to 0/1; a label the source does not
    annotate is ``None`` (unknown: masked in the loss and in metrics, never read as 0).
    """

    id: str
    text: str
    labels: dict[str, int | None]
    source: str
    group: str = ""
    dialect: str = ""
    register: str = ""
    borderline: bool = False
    note: str = ""
    meta: dict[str, str] = field(default_factory=dict)

    def known(self, label: str) -> bool:
        return self.labels.get(label) is not None
