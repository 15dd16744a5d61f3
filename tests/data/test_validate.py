import json

from typer.testing import CliRunner

from khitab.cli import app
from khitab.data.corpus import load_corpus
from khitab.data.splits import split_of
from khitab.data.stats import corpus_stats
from khitab.data.validate import validate_corpus
from tests.conftest import ROOT, TINY_CORPUS, two_slice_corpus

runner = CliRunner()


def row(i, text, group=None, **labels):
    values = {"threat": 0, "sectarian": 0, "denial": 0, **labels}
    return {"id": f"r{i}", "text": text, **values, "group": group or f"g{i}", "source": "authored"}


def groups_in(split, count):
    found = [g for g in (f"grp{i}" for i in range(1000)) if split_of(g) == split]
    return found[:count]


def write(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_clean_corpus_passes(labels):
    report = validate_corpus(TINY_CORPUS, labels)
    assert report.ok and report.rows == 40 and report.warnings == []


def test_each_problem_is_reported_by_row(tmp_path, labels):
    train, test = groups_in("train", 2), groups_in("test", 1)
    rows = [
        row(1, "أعلنت المدينة حظر التجول الليلة"),
        row(2, "اعلنت المدينه حظر التجول الليلة"),  # same text once spelling is folded
        row(3, "This sentence is plainly written in English"),
        row(4, "سنحرق مقراتهم إن لم يغادروا المدينة خلال يومين", group=train[0], threat=1),
        row(5, "سنحرق مقراتهم إن لم يغادروا المدينة خلال يومين فقط", group=test[0], threat=1),
        row(6, "نص عربي قصير جدا هنا", group=train[1]),
        {**row(6, "نص آخر مختلف تماما عن غيره"), "id": "r6"},
    ]
    report = validate_corpus(write(tmp_path / "c.jsonl", rows), labels)
    errors = "\n".join(report.errors)
    assert "r2: text: duplicate of r1" in errors
    assert "r3: text: not Arabic" in errors
    assert "r4 ~ r5: near-duplicate" in errors and "leak across splits train/test" in errors
    assert "r6: id: used by 2 rows" in errors
    assert not report.ok


def test_near_duplicates_in_one_split_are_warnings(tmp_path, labels):
    a, b = groups_in("train", 2)
    rows = [
        row(1, "سنحرق مقراتهم إن لم يغادروا المدينة خلال يومين", group=a, threat=1),
        row(2, "سنحرق مقراتهم إن لم يغادروا المدينة خلال يومين فقط", group=b, threat=1),
    ]
    report = validate_corpus(write(tmp_path / "c.jsonl", rows), labels)
    assert report.ok and len(report.warnings) == 1 and "r1 ~ r2" in report.warnings[0]


def test_schema_errors_fail_validation_with_file_and_line(tmp_path, labels):
    path = write(tmp_path / "c.jsonl", [row(1, "نص عربي صحيح هنا", threat=3)])
    report = validate_corpus(path, labels)
    assert report.errors == [f"{path}:1: threat: 3 is not 0, 1 or null"]


def test_rows_quoting_a_held_out_text_fail(tmp_path, labels):
    held = tmp_path / "seed.txt"
    held.write_text("وقال المتحدث إن الانتقام قد بدأ وإن المقاتلين سينقضون على القواعد.", encoding="utf-8")
    rows = [
        row(1, "قال قيادي ان الانتقام قد بدا وان المقاتلين سينقضون عليهم", threat=1),  # 5 words, folded
        row(2, "الانتقام قد بدأ في رأي المحللين منذ أشهر", threat=1),  # 3 words only
    ]
    report = validate_corpus(write(tmp_path / "c.jsonl", rows), labels, held_out=[held])
    assert len(report.errors) == 1 and report.errors[0].startswith("r1: text: repeats")
    assert str(held) in report.errors[0]


def test_stats_count_labels_splits_and_cooccurrence(labels):
    examples = load_corpus(TINY_CORPUS, labels)
    stats = corpus_stats(examples, labels)
    assert stats["rows"] == 40
    assert stats["labels"]["threat"] == {"known": 40, "positive": 12}
    assert sum(part["rows"] for part in stats["splits"].values()) == 40
    assert stats["cooccurrence"]["threat"]["sectarian"] == 3
    assert stats["cooccurrence"]["sectarian"]["threat"] == 3
    assert stats["combinations"]["threat+sectarian+denial"] == 1
    assert stats["all_negative"] == stats["combinations"]["none"] == 15


def test_cli_validate_and_stats(tmp_path):
    ok = runner.invoke(app, ["data", "validate", str(TINY_CORPUS)])
    assert ok.exit_code == 0 and "0 errors" in ok.stdout
    bad = write(tmp_path / "bad.jsonl", [row(1, "English only text here"), row(2, "English only text here")])
    failed = runner.invoke(app, ["data", "validate", str(bad)])
    assert failed.exit_code == 1 and "r1: text: not Arabic" in failed.stderr
    stats = runner.invoke(app, ["data", "stats", str(TINY_CORPUS), "--json"])
    assert json.loads(stats.stdout)["labels"]["denial"]["positive"] == 9
    table = runner.invoke(app, ["data", "stats", str(TINY_CORPUS)])
    assert "co-occurrence" in table.stdout


def test_authored_corpus_meets_its_targets(labels):
    examples = load_corpus(ROOT / "data" / "authored", labels)
    stats = corpus_stats(examples, labels)
    assert stats["rows"] >= 4000
    assert all(stats["labels"][label]["positive"] >= 700 for label in labels)
    assert stats["all_negative"] / stats["rows"] >= 0.40
    assert len(stats["combinations"]) == 2 ** len(labels)
    dialect_share = 1 - stats["dialects"].get("msa", 0) / stats["rows"]
    assert dialect_share >= 0.30
    assert (stats["splits"]["test"]["rows"] / stats["rows"]) > 0.12


def test_rows_know_their_slice_and_stats_count_per_slice(labels, tmp_path):
    examples = load_corpus(two_slice_corpus(tmp_path / "corpus"), labels)
    assert [ex.meta["slice"] for ex in examples] == ["news"] * 25 + ["social"] * 15
    slices = corpus_stats(examples, labels)["slices"]
    assert {name: part["rows"] for name, part in slices.items()} == {"news": 25, "social": 15}
    threat_in = [sum(ex.labels["threat"] == 1 for ex in examples if ex.meta["slice"] == s) for s in ("news", "social")]
    assert [slices[s]["labels"]["threat"]["positive"] for s in ("news", "social")] == threat_in
    table = runner.invoke(app, ["data", "stats", str(tmp_path / "corpus")])
    assert "slice news" in table.stdout and "slice social" in table.stdout


def test_contrast_pairs_are_checked_for_copies_of_evaluation_items(tmp_path, labels):
    from khitab.data.validate import validate_contrast

    pairs = write(tmp_path / "pairs.jsonl", [
        row(1, "والله لو شفته بالشارع لأكسر راسه", group="p1", threat=1),
        row(2, "الله يكسر راسه على اللي عمله فينا", group="p1"),
        row(3, "نفت وزارة الصحة اليوم خبر إغلاق المستشفى الكبير", group="p2", denial=1),
        row(4, "نفت وزارة الصحه اليوم خبر اغلاق المستشفى الكبير", group="p3", denial=1),
    ])
    evaluation = ["عاجل: وزارة الداخلية تعلن حظر التجول", "والله لو شفته بالشارع لأكسر راسه!!"]
    report = validate_contrast(pairs, labels, evaluation_texts=evaluation)
    assert report.rows == 4
    assert any(e.startswith("r4: text: duplicate of r3") for e in report.errors)
    assert [e.split(":")[0] for e in report.errors if "near-copy" in e] == ["r1"]
    assert validate_contrast(pairs, labels).errors == [e for e in report.errors if "near-copy" not in e]
