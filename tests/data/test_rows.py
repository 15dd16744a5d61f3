"""One labeled-row parser: the corpus and evaluation files read a row by the same rules."""
from khitab.data.corpus import CORPUS_RULES
from khitab.data.rows import RowRules, parse_labeled_row

LABELS = ["threat", "sectarian", "denial"]


def parse(row, rules):
    problems = []
    return parse_labeled_row(row, LABELS, "f.jsonl:1", problems, rules), problems


def test_json_and_text_cells_give_the_same_example():
    typed, _ = parse({"text": "نص", "threat": 1, "sectarian": 0.0, "borderline": False, "source": "news"}, RowRules())
    cells, _ = parse({"text": "نص", "threat": "1", "sectarian": "0", "denial": "n/a", "borderline": "no",
                      "source": " news "}, RowRules(text_cells=True))
    assert typed == cells
    assert typed.labels == {"threat": 1, "sectarian": 0, "denial": None} and typed.source == "news"


def test_corpus_rules_add_closed_vocabularies_and_a_default_source():
    example, problems = parse({"text": "نص", "threat": 1}, CORPUS_RULES)
    assert example.source == "authored" and not problems
    example, problems = parse({"text": "نص", "dialect": "klingon", "borderline": "yes"}, CORPUS_RULES)
    assert example is None
    assert problems == [
        "f.jsonl:1: dialect: 'klingon' not in ['egyptian', 'gulf', 'iraqi', 'levantine', 'maghrebi', 'msa']",
        "f.jsonl:1: borderline: 'yes' is not true or false",  # text cells only in CSV
    ]


def test_problems_name_the_field_and_the_value():
    example, problems = parse(["not", "a", "row"], RowRules())
    assert example is None and problems == ["f.jsonl:1: row is not a JSON object"]
    _, problems = parse({"text": " ", "threat": True, "denial": "1"}, RowRules())
    assert problems == [
        "f.jsonl:1: text: missing or empty",
        "f.jsonl:1: threat: True is not 0, 1 or null",
        "f.jsonl:1: denial: '1' is not 0, 1 or null",
    ]
