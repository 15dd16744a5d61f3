import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from khitab.inference.inputs import InputError
from khitab.inference.readers import count_rows, read_records

ARABIC = "هدد الفصيل باستهداف السفارة. نفت الوزارة الخبر."
OTHER = "سنلاحق الفاسدين حتى آخر دينار"


def reasons(records):
    return {r.id: r.error for r in records if r.error}


def test_jsonl_rows_and_every_kind_of_bad_row(tmp_path):
    path = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "a", "text": ARABIC}, ensure_ascii=False).encode(),
        json.dumps({"id": "missing"}).encode(),
        b"",  # blank lines are not rows
        b'{"id": "utf8", "text": "\xd9\x86\xff"}',
        json.dumps({"id": "empty", "text": "   "}).encode(),
        json.dumps({"id": "english", "text": "Only English words here."}).encode(),
        b'{"id": "broken", ',
        json.dumps({"text": OTHER}, ensure_ascii=False).encode(),  # no id: the row number
        json.dumps({"id": "number", "text": 5}).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    records = list(read_records(path))
    assert [r.row for r in records] == list(range(8)) and count_rows(path) == 8
    assert records[0].text == ARABIC and records[0].where == f"{path}:1"
    assert records[6].id == "6" and records[6].text == OTHER
    got = reasons(records)
    assert got["missing"] == "missing field 'text'"
    assert got["2"].startswith("invalid UTF-8 at byte")  # the id is unreadable with the line
    assert got["empty"] == "empty text"
    assert got["english"].startswith("not Arabic")
    assert got["5"].startswith("invalid JSON")
    assert got["number"] == "field 'text' is not text (int)"
    assert all((r.text is None) != (r.error is None) for r in records)


def test_custom_fields(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"key": "k1", "body": ARABIC}, ensure_ascii=False) + "\n", encoding="utf-8")
    (record,) = read_records(path, text_field="body", id_field="key")
    assert record.id == "k1" and record.text == ARABIC


def test_csv_keeps_reading_past_invalid_utf8(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(
        b"id,text\n"
        + f'a,"{ARABIC}"\n'.encode()
        + b'bad,"\xd9\x86\xff"\n'
        + 'multi,"سطر أول\nسطر ثان"\n'.encode()
        + b"short\n"
        + b"english,hello world\n"
    )
    records = list(read_records(path))
    assert [r.id for r in records] == ["a", "bad", "multi", "short", "english"]
    assert records[0].text == ARABIC and records[2].text == "سطر أول\nسطر ثان"
    got = reasons(records)
    assert got["bad"].startswith("invalid UTF-8 at byte 2")
    assert got["short"] == "missing field 'text'"
    assert got["english"].startswith("not Arabic")


def test_csv_without_the_text_column_is_one_clear_error(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,body\n1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="no column 'text'"):
        list(read_records(path))


def test_parquet_streams_batches_and_nulls_are_errors(tmp_path):
    path = tmp_path / "in.parquet"
    texts = [ARABIC, None, "", OTHER] * 700
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(len(texts))], "text": texts}), path, row_group_size=500)
    records = list(read_records(path))
    assert len(records) == len(texts) == count_rows(path)
    assert [r.row for r in records] == list(range(len(texts)))
    assert records[1].error == "missing field 'text'" and records[2].error == "empty text"
    assert records[2799].text == OTHER and records[2799].id == "r2799"
    with pytest.raises(InputError, match="no column 'body'"):
        list(read_records(path, text_field="body"))


def test_txt_folder_one_document_per_file(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(ARABIC, encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("\ufeff" + OTHER, encoding="utf-8")
    (folder / "c.txt").write_bytes("نص".encode()[:2] + b"\xff\xfe")
    (folder / "d.txt").write_bytes(b"")
    (folder / "notes.md").write_text("ignored", encoding="utf-8")
    records = list(read_records(folder))
    assert [r.id for r in records] == ["a.txt", "c.txt", "d.txt", "sub/b.txt"] and count_rows(folder) == 4
    assert records[3].text == OTHER  # BOM removed
    assert records[1].error == "invalid UTF-8 at byte 2" and records[2].error == "empty text"
