"""Small hand-made evaluation data (not the training sentences of the tiny model)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

# text, threat, sectarian, denial, dialect, source
ROWS = [
    ("سنحرق بيوتهم إن لم يرحلوا من الحي", 1, 0, 0, "msa", "news"),
    ("هدد المسلحون باستهداف المدارس إذا استمرت الحملة", 1, 0, 0, "msa", "news"),
    ("الانتقام قادم ولن يفلت منهم أحد", 1, 0, 0, "gulf", "social"),
    ("سنلاحقهم بيتا بيتا حتى نقتلهم", 1, 0, 0, "gulf", "social"),
    ("الروافض خونة لا عهد لهم", 0, 1, 0, "iraqi", "social"),
    ("كل أبناء تلك الطائفة عملاء وخونة", 0, 1, 0, "iraqi", "social"),
    ("النواصب أعداؤنا إلى يوم الدين", 0, 1, 0, "gulf", "social"),
    ("نفت الوزارة الأنباء عن سقوط قتلى في الاحتجاجات", 0, 0, 1, "msa", "news"),
    ("هذه الصور مفبركة ولا صحة لها", 0, 0, 1, "msa", "news"),
    ("الأرقام المنشورة كاذبة ومبالغ فيها", 0, 0, 1, "iraqi", "news"),
    ("ارتفع سعر الدولار في السوق المحلية اليوم", 0, 0, 0, "msa", "news"),
    ("افتتحت البلدية حديقة جديدة في وسط المدينة", 0, 0, 0, "msa", "news"),
    ("حذرت الأرصاد من أمطار غزيرة مساء الغد", 0, 0, 0, "gulf", "news"),
    ("دعا الخطيب إلى الوحدة ونبذ الفرقة", 0, 0, 0, "iraqi", "social"),
]


def eval_rows(labels=("threat", "sectarian", "denial"), groups=True) -> list[dict]:
    rows = []
    for i, (text, threat, sectarian, denial, dialect, source) in enumerate(ROWS):
        row = {"id": f"e{i:02d}", "text": text}
        row.update({k: v for k, v in (("threat", threat), ("sectarian", sectarian), ("denial", denial)) if k in labels})
        if groups:
            row.update({"dialect": dialect, "source": source})
        rows.append(row)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], columns: list[str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: "" if row.get(c) is None else row.get(c) for c in columns})
    return path


@pytest.fixture
def eval_file(tmp_path) -> Path:
    return write_jsonl(tmp_path / "news.jsonl", eval_rows())
