"""External-dataset adapters: label mapping, cleaning, dedupe and registry errors.

Synthetic files are written into tmp_path in each dataset's real layout and format; one test
loads the real datasets and is skipped where /work/shared/data/external is absent.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from khitab.data.external import ADAPTERS, SPECS, available, load_source
from khitab.data.schema import Example
from khitab.errors import OptionError
from khitab.text.clean import clean_social

LABELS = {"threat", "sectarian", "denial"}
REAL_ROOT = Path(__file__).resolve().parents[2].parent / "shared/data/external"


def _write(path: Path, text: str, newline: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))


def _tsv(rows: list[tuple[str, ...]]) -> str:
    return "".join("\t".join(r) + "\n" for r in rows)


def _excel(path: Path, frame: pd.DataFrame, header: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_excel(path, header=header, index=False)


def build_root(root: Path) -> Path:
    """Every adapter's files, tiny, in the real folder layout and format."""
    d = root / "osact2022_aehabV/Dataset"
    _write(d / "OSACT2022-sharedTask-train.txt", _tsv([
        ("1", '@USER والله لاذبحك "يا كلب" 🔪 URL', "OFF", "NOT_HS", "NOT_VLG", "VIO"),
        ("2", "الروافض<LF>انجاس", "OFF", "HS2", "NOT_VLG", "NOT_VIO"),
        ("3", "دينك القذر", "OFF", "HS2", "NOT_VLG", "NOT_VIO"),
        ("4", "يا زنجي", "OFF", "HS1", "NOT_VLG", "NOT_VIO"),
        ("5", "زيارة الشيعة لكربلاء", "NOT_OFF", "NOT_HS", "NOT_VLG", "NOT_VIO"),
        ("6", "@USER URL", "NOT_OFF", "NOT_HS", "NOT_VLG", "NOT_VIO"),
        ("7", "صباح الخير يا جماعة", "NOT_OFF", "NOT_HS", "NOT_VLG", "NOT_VIO"),
    ]))
    _write(d / "OSACT2022-sharedTask-dev.txt", _tsv([
        ("8888", '@USER والله لاذبحك "يا كلب" 🔪', "OFF", "NOT_HS", "NOT_VLG", "NOT_VIO"),
    ]))

    d = root / "osact2020_motazsaad/OSACT4"
    _write(d / "OSACT2020-sharedTask-train.txt", _tsv([
        ("RT @USER: يا رب يا كريم", "NOT_OFF", "NOT_HS"),
        ("يا مقرف يا جبان", "OFF", "NOT_HS"),
        ("يا وهابي يا كلب", "OFF", "HS"),
    ]))
    _write(d / "OSACT2020-sharedTask-dev.txt", _tsv([("السلام عليكم يا اخوان", "NOT_OFF", "NOT_HS")]))

    _write(root / "L-HSAB/Dataset/L-HSAB", "Tweet\tClass\n" + _tsv([
        ("نحن الشيعه نبقى ندفع الثمن", "normal"),
        ("وطنا جميل وشعبنا جميل", "normal"),
        ("وليد يا قذر", "abusive"),
    ]) + '"كلب درزي حقير\n\n"\thate\n' + _tsv([("فشرت يا حمار يا عميل", "hate")]))

    _excel(root / "T-HSAB/T-HSAB Corpus/T-HSAB.xlsx", pd.DataFrame([
        ["تونس بلاد جميلة", "normal"],
        ["السبسي الصليبي الكافر", "hate"],
        ["ياخي شبيك مسطول", "abusive"],
    ]), header=False)

    _excel(root / "arHateDetector/Datasets/nuha.xlsx", pd.DataFrame({
        "Tweet": ["الرافضة المجوس اعداء الدين https://t.co/x", "الملحد جاهل",
                  "صورة من خيبر", "صورة من خيبر", "نص مختلف عليه", "نص مختلف عليه"],
        "Class": [1, 1, 0, 0, 1, 0],
    }))

    collapsed = ("Annotator I collapsed", "Annotator II collapsed", "Annotator III collapsed")
    rows = [
        ("E1", "Rania Itani\nيجب ترحيل السوريين فورا", "incitement", "", "offensive, incitement", 1, 0, 1, 0),
        ("E1", "الجيش يقوم بواجبه", "none", "", "none", 0, 0, 0, 1),
        ("E2", "اسكت ولا بصرلك شي", "offensive", "", "offensive", 1, 0, 0, 0),
        ("E2", "الاجتماع انعقد اليوم", "incitement", "none", "none", 0, 0, 0, 1),
        ("E2", "المسيحيين في البلد", "none", "", "none", 0, 0, 0, 1),
    ]
    frame = pd.DataFrame([
        {"EventID": e, "text": t, "cleaned_text": t, "Annotator I": None, "Annotator II": None,
         "Annotator III": None, collapsed[0]: a1, collapsed[1]: a2 or None, collapsed[2]: a3,
         "offensive": off, "accusation": acc, "incitement": inc, "none": none, "theme": "سياسة وأمن"}
        for e, t, a1, a2, a3, off, acc, inc, none in rows
    ])
    _excel(root / "sectarian_hiyamgh/Pipeline/MultiLabel-Annotated.xlsx", frame)

    d = root / "yaqeen_steamiejoe/data/raw"
    _write(d / "ArMI2021_training.tsv", "tweet_id\ttext\tmisogyny\tcategory\n" + _tsv([
        ("0", "مستخدم@ عقبال ما ندعس على راسك", "misogyny", "threat of violence"),
        ("1", "مستخدم@ انتي حشرة", "misogyny", "discredit"),
        ("2", "مستخدم@ الله لا يسعدك", "misogyny", "damning"),
        ("3", "مستخدم@ شو رأيك بالمباراة", "none", "none"),
    ]), newline="\r\n")
    d.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({
        "text": ["المسيحيين كلهم كفار", "المسلمين كلهم منافقين", "انا رايح الشغل"],
        "label": ["Religious Discrimination", "Religious Discrimination", "Neutral"],
    }).to_parquet(d / "train-egyptian-5-way.parquet")
    pd.DataFrame({"text": ["انت في قمه النداله"], "label": ["Offensive"]}).to_parquet(d / "test-egyptian-5-way.parquet")

    records = [
        {"page_id": "P1", "paragraph_id": "P1_001", "labels": ["Doubt", "Loaded_Language"],
         "paragraph": "وقال المتحدث إن الصور المنشورة مفبركة بالكامل."},
        {"page_id": "P1", "paragraph_id": "P1_002", "labels": ["Doubt"],
         "paragraph": "فهل يملك الوزير حقا الخبرة الكافية لهذا المنصب؟"},
        {"page_id": "P2", "paragraph_id": "P2_001", "labels": [],
         "paragraph": "ونفت الوزارة وقوع أي إصابات في الحادث."},
        {"page_id": "P2", "paragraph_id": "P2_002", "labels": [],
         "paragraph": "وافتتح الوزير المعرض الدولي للكتاب صباح اليوم."},
    ]
    _write(root / "ArMPro/dataset/text/V2/multilabel/ArMPro_multilabel_dev_V2.jsonl",
           "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))

    d = root / "ANS/data/stance"
    _write(d / "train.csv", "s1,s2,stance\n"
           "العراق يعلن مصادرة ممتلكات صدام,العراق تنفي مصادرة ممتلكات صدام,disagree\n"
           "العراق يعلن مصادرة ممتلكات صدام,العراق يصادر أملاك صدام,agree\n"
           '"برلين: حرب تجارية, قريبة",برلين تنفي أي حرب تجارية,disagree\n')
    _write(d / "dev.csv", "s1,s2,stance\nبرلين تنفي أي حرب تجارية,برلين: لا حرب تجارية مع أميركا,agree\n")
    _write(d / "test.csv", "s1,s2,stance\nاستقرار الذهب,ارتفاع الذهب,disagree\n")
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return build_root(tmp_path_factory.mktemp("external"))


def by_text(examples: list[Example]) -> dict[str, Example]:
    return {e.text: e for e in examples}


def check_invariants(name: str, examples: list[Example]) -> None:
    assert examples, name
    assert len({e.id for e in examples}) == len(examples)
    assert len({e.text for e in examples}) == len(examples)
    for e in examples:
        assert e.source == name and e.id.startswith(f"{name}:") and e.group.startswith(f"{name}:")
        assert e.text and e.text == clean_social(e.text)
        assert set(e.labels) <= LABELS
        assert all(v in (0, 1) for v in e.labels.values()), e


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_synthetic_invariants(root, name):
    check_invariants(name, load_source(name, root))


def test_osact2022(root):
    ex = by_text(load_source("osact2022", root))
    threat = ex['والله لاذبحك "يا كلب" 🔪']  # quotes kept, handle and URL dropped
    assert threat.id == "osact2022:1" and threat.meta["copies"] == "2"
    assert "threat" not in threat.labels  # dev copy says NOT_VIO: conflict -> unknown
    assert threat.labels["sectarian"] == 0  # both copies agree
    assert ex["الروافض انجاس"].labels == {"threat": 0, "sectarian": 1}  # <LF> folded cleanly
    assert ex["دينك القذر"].labels == {"threat": 0}  # religion hate without a sect: not sectarian
    assert ex["يا زنجي"].labels == {"threat": 0}
    assert ex["زيارة الشيعة لكربلاء"].labels == {"threat": 0}  # names a sect: no sectarian negative
    assert ex["صباح الخير يا جماعة"].labels == {"threat": 0, "sectarian": 0}
    assert len(ex) == 6  # the handle-and-URL-only tweet is dropped


def test_osact2020(root):
    ex = by_text(load_source("osact2020", root))
    assert ex["يا رب يا كريم"].labels == {"threat": 0, "sectarian": 0}  # "RT @USER:" stripped
    assert ex["يا مقرف يا جبان"].labels == {"sectarian": 0}
    assert ex["يا وهابي يا كلب"].labels == {}
    assert ex["السلام عليكم يا اخوان"].id == "osact2020:dev:1"
    assert not any(e.labels.get("threat") == 1 or e.labels.get("sectarian") == 1 for e in ex.values())


def test_lhsab(root):
    ex = by_text(load_source("lhsab", root))
    assert ex["كلب درزي حقير"].labels == {"sectarian": 1}  # quoted multi-line record rejoined
    assert ex["نحن الشيعه نبقى ندفع الثمن"].labels == {"threat": 0}
    assert ex["وطنا جميل وشعبنا جميل"].labels == {"threat": 0, "sectarian": 0}
    assert ex["وليد يا قذر"].labels == {"sectarian": 0}
    assert ex["فشرت يا حمار يا عميل"].labels == {}
    assert len(ex) == 5 and all(e.dialect == "levantine" for e in ex.values())


def test_thsab_reads_first_row_without_header(root):
    ex = by_text(load_source("thsab", root))
    assert ex["تونس بلاد جميلة"].labels == {"threat": 0, "sectarian": 0}
    assert ex["تونس بلاد جميلة"].id == "thsab:1"
    assert ex["السبسي الصليبي الكافر"].labels == {"sectarian": 1}
    assert ex["ياخي شبيك مسطول"].labels == {"sectarian": 0}


def test_arhatedetector_dedupe(root):
    examples = load_source("arhatedetector", root)
    ex = by_text(examples)
    assert len(examples) == 4
    assert ex["الرافضة المجوس اعداء الدين"].labels == {"sectarian": 1}
    assert ex["الملحد جاهل"].labels == {}  # religious hate at atheists: not sectarian
    assert ex["صورة من خيبر"].labels == {"sectarian": 0} and ex["صورة من خيبر"].meta["copies"] == "2"
    assert ex["نص مختلف عليه"].labels == {} and ex["نص مختلف عليه"].id == "arhatedetector:nuha:5"


def test_sectarian_hiyamgh(root):
    ex = by_text(load_source("sectarian_hiyamgh", root))
    incite = ex["يجب ترحيل السوريين فورا"]  # commenter name line dropped
    assert incite.labels == {"threat": 1} and incite.group == "sectarian_hiyamgh:E1"
    assert ex["الجيش يقوم بواجبه"].labels == {"threat": 0, "sectarian": 0}
    assert ex["اسكت ولا بصرلك شي"].labels == {}  # offensive only: may hold a threat
    assert ex["الاجتماع انعقد اليوم"].labels == {"sectarian": 0}  # one annotator said incitement
    assert ex["المسيحيين في البلد"].labels == {"threat": 0}


def test_yaqeen(root):
    ex = by_text(load_source("yaqeen", root))
    assert ex["عقبال ما ندعس على راسك"].labels == {"threat": 1}  # CRLF file, "مستخدم@" dropped
    assert ex["عقبال ما ندعس على راسك"].id == "yaqeen:armi:0"
    assert ex["انتي حشرة"].labels == {"threat": 0}
    assert ex["الله لا يسعدك"].labels == {}
    assert ex["شو رأيك بالمباراة"].labels == {}
    assert ex["المسيحيين كلهم كفار"].labels == {"sectarian": 1}
    assert ex["المسلمين كلهم منافقين"].labels == {}
    assert ex["انا رايح الشغل"].labels == {"threat": 0, "sectarian": 0}
    assert ex["انت في قمه النداله"].labels == {"sectarian": 0}
    assert ex["انت في قمه النداله"].id == "yaqeen:egy-test:1"


def test_armpro(root):
    ex = {e.id: e for e in load_source("armpro", root)}
    assert ex["armpro:P1_001"].labels == {"denial": 1} and ex["armpro:P1_001"].group == "armpro:P1"
    assert ex["armpro:P1_002"].labels == {}  # Doubt about a person, no claim called false
    assert ex["armpro:P2_001"].labels == {}  # reported denial without a Doubt label
    assert ex["armpro:P2_002"].labels == {"denial": 0}


def test_ans_takes_the_denying_side(root):
    ex = by_text(load_source("ans", root))
    denial = ex["العراق تنفي مصادرة ممتلكات صدام"]
    claim = ex["العراق يعلن مصادرة ممتلكات صدام"]
    assert denial.labels == {"denial": 1} and claim.labels == {"denial": 0}
    assert denial.group == claim.group == ex["العراق يصادر أملاك صدام"].group == "ans:train:1:s1"
    assert claim.id == "ans:train:1:s1"  # repeated s1 kept once, first id
    assert ex["برلين تنفي أي حرب تجارية"].labels == {"denial": 1}
    assert ex["برلين: حرب تجارية, قريبة"].labels == {"denial": 0}  # quoted CSV field
    assert ex["برلين: لا حرب تجارية مع أميركا"].labels == {}  # paraphrase of a denial
    assert ex["ارتفاع الذهب"].labels == {"denial": 0}  # contradiction without calling it false
    assert len(ex) == 8


def test_registry(root, tmp_path):
    assert available(root) == list(ADAPTERS)
    assert available(tmp_path) == []
    with pytest.raises(OptionError) as err:
        load_source("nope", root)
    assert "lhsab" in str(err.value) and "osact2022" in str(err.value)


def test_missing_files_name_path_and_repository(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_source("lhsab", tmp_path)
    message = str(err.value)
    assert str(tmp_path / "L-HSAB" / "Dataset" / "L-HSAB") in message
    assert SPECS["lhsab"].repository in message and SPECS["lhsab"].commit in message


def test_missing_file_reports_recorded_commit(tmp_path):
    (tmp_path / "ANS").mkdir()
    (tmp_path / "ANS/COMMIT.txt").write_text("abc123 2021-02-05\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"commit abc123") as err:
        ADAPTERS["ans"](tmp_path)
    assert "data/stance/train.csv" in str(err.value)


@pytest.mark.skipif(not REAL_ROOT.is_dir(), reason=f"external datasets not present at {REAL_ROOT}")
def test_real_sources_load():
    names = available(REAL_ROOT)
    assert names, f"no dataset files found under {REAL_ROOT}"
    for name in names:
        examples = load_source(name, REAL_ROOT)
        check_invariants(name, examples)
        assert len(examples) >= 500, (name, len(examples))
        assert any(e.labels for e in examples), name
