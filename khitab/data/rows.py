"""The labeled-row schema, parsed in one place for the authored corpus and evaluation files.

A row has a ``text`` and one 0/1 value per label; a missing or null value is unknown (masked,
never read as 0). Optional: ``id``, ``group``, ``dialect``, ``source``, ``register``,
``borderline`` (true/false) and ``note``. JSON rows carry typed values; CSV/TSV rows carry
text cells (``"1"``, ``""``, ``"true"``), read by the same rules. Every problem is reported as
'file:line: field: why' and the row is left out.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from khitab.data.schema import Example

GROUP_FIELDS = ("dialect", "source", "register")
NULLS = {"", "null", "none", "nan", "na", "n/a"}
_TRUE_CELLS, _FALSE_CELLS = {"true", "1", "yes"}, {"", "false", "0", "no"}


@dataclass(frozen=True)
class RowRules:
    """What differs between row sources: ``text_cells`` for CSV/TSV, the ``source`` of a row
    that names none, and closed vocabularies for group fields (the authored corpus has them)."""

    text_cells: bool = False
    default_source: str = ""
    allowed: Mapping[str, frozenset[str]] = field(default_factory=dict)


def parse_labeled_row(row: object, labels: Sequence[str], where: str, problems: list[str],
                      rules: RowRules = RowRules()) -> Example | None:
    """The row as an ``Example``, or None after appending its problems to ``problems``."""
    if not isinstance(row, dict):
        problems.append(f"{where}: row is not a JSON object")
        return None
    before = len(problems)
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(f"{where}: text: missing or empty")
    values: dict[str, int | None] = {}
    for label in labels:
        valid, value = label_value(row.get(label), rules.text_cells)
        if valid:
            values[label] = value
        else:
            problems.append(f"{where}: {label}: {row.get(label)!r} is not 0, 1 or null")
    for name, allowed in rules.allowed.items():
        if name in row and row[name] not in allowed:
            problems.append(f"{where}: {name}: {row[name]!r} not in {sorted(allowed)}")
    borderline = flag_value(row.get("borderline"), rules.text_cells)
    if borderline is None:
        problems.append(f"{where}: borderline: {row.get('borderline')!r} is not true or false")
    if len(problems) > before:
        return None
    groups = {name: str(row.get(name) or "").strip() for name in GROUP_FIELDS}
    return Example(
        id=str(row.get("id") or where),
        text=text,
        labels=values,
        source=groups["source"] or rules.default_source,
        group=str(row.get("group") or row.get("id") or where),
        dialect=groups["dialect"],
        register=groups["register"],
        borderline=bool(borderline),
        note=str(row.get("note") or ""),
    )


def label_value(value: object, text_cells: bool = False) -> tuple[bool, int | None]:
    """(valid, value) for a label value: 0, 1 or unknown (None, or a null-like text cell)."""
    if value is None:
        return True, None
    if text_cells and isinstance(value, str):
        cell = value.strip().lower()
        if cell in NULLS:
            return True, None
        return (True, int(float(cell))) if cell in {"0", "1", "0.0", "1.0"} else (False, None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False, None
    return (True, int(value)) if value in (0, 1) else (False, None)


def flag_value(value: object, text_cells: bool = False) -> bool | None:
    """A true/false field (absent or null: false); None when it is neither."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if text_cells and isinstance(value, str):
        cell = value.strip().lower()
        if cell in _FALSE_CELLS:
            return False
        if cell in _TRUE_CELLS:
            return True
    return None
