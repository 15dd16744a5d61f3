"""The real-text corpus: the gold rule, agreement, the committed label file, and rebuilding the
texts from the external datasets (a digest guards against a changed copy)."""
import json

import numpy as np
import pytest

from khitab.data.corpus import DataError
from khitab.data.real.agreement import cohen_kappa, fleiss_kappa, gold, reread
from khitab.data.real.corpus import load_real, read_label_rows, text_digest, validate_real
from khitab.data.real.units import Unit
from tests.conftest import ROOT, load_script


def vote(t, s, d, borderline=False):
    return {"threat": t, "sectarian": s, "denial": d, "borderline": borderline}


def test_gold_takes_agreed_labels_and_the_third_vote_only_where_two_split():
    row = gold(vote(1, 0, 0), vote(1, 1, 0), vote(0, 0, 1))
    assert row["labels"] == {"threat": 1, "sectarian": 0, "denial": 0}
    assert row["adjudicated"] == ["sectarian"]
    with pytest.raises(ValueError, match="no adjudicator"):
        gold(vote(0, 0, 0), vote(0, 0, 1))
    assert gold(vote(1, 0, 0, True), vote(1, 0, 0, True))["borderline"]
    assert not gold(vote(1, 0, 0, True), vote(1, 0, 0))["borderline"]
    # a ruling's re-read decides only its own labels: three votes, the majority
    only = gold({"sectarian": 1}, {"sectarian": 0}, {"sectarian": 1}, labels=["sectarian"])
    assert only["labels"] == {"sectarian": 1} and only["adjudicated"] == ["sectarian"]


def test_a_rulings_reread_changes_only_its_labels_and_keeps_what_it_replaced():
    row = {"id": "lhsab:1", "labels": {"threat": 1, "sectarian": 0, "denial": 0}, "votes": {"A": "100", "B": "100"}}
    after = reread(row, {"ruling": "R9", "labels": {"sectarian": 1}, "votes": ["1", "1", "0"], "note": "epithet"})
    assert after["labels"] == {"threat": 1, "sectarian": 1, "denial": 0}
    assert after["reread"]["was"] == {"sectarian": 0} and after["reread"]["ruling"] == "R9"
    assert after["votes"] == row["votes"] and row["labels"]["sectarian"] == 0  # the input row is not mutated
    with pytest.raises(ValueError, match="hate"):
        reread(row, {"ruling": "R9", "labels": {"hate": 1}})


def test_the_committed_rereads_are_applied_to_the_committed_labels():
    path = ROOT / "data" / "real" / "rereads.jsonl"
    rows = {r["id"]: r for r in read_label_rows(ROOT / "data" / "real" / "labels.jsonl")}
    for line in path.read_text(encoding="utf-8").splitlines():
        decision = json.loads(line)
        row = rows[decision["id"]]
        assert row["reread"]["ruling"] == decision["ruling"]
        assert all(row["labels"][x] == v for x, v in decision["labels"].items())
        assert len(decision["votes"]) == 3


def test_kappas_match_hand_computed_values():
    a = [1, 1, 0, 0, 0, 0, 1, 0, 0, 0]
    b = [1, 0, 0, 0, 0, 0, 1, 0, 0, 1]
    # po = 0.8, pe = 0.3*0.3 + 0.7*0.7 = 0.58 -> (0.8 - 0.58) / 0.42
    assert cohen_kappa(a, b) == pytest.approx(0.22 / 0.42)
    # Fleiss with two raters pools the marginals (p1 = 0.3): pe = 0.58 here as well
    assert fleiss_kappa(np.array([a, b]).T) == pytest.approx(0.22 / 0.42)
    assert cohen_kappa([0, 0, 1], [0, 0, 1]) == 1.0


def label_row(uid, text, **extra):
    row = {"id": uid, "source": "osact2022", "group": uid, "register": "social", "stratum": "random",
           "sha1": text_digest(text), "labels": {"threat": 1, "sectarian": 0, "denial": 0},
           "votes": {"A": "100", "B": "100"}, "borderline": False}
    row.update(extra)
    return row


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_label_rows_with_a_bad_field_name_line_and_field(tmp_path):
    bad = write_rows(tmp_path / "labels.jsonl", [
        label_row("osact2022:1", "نص"),
        label_row("osact2022:2", "نص", labels={"threat": 2, "sectarian": 0, "denial": 0}),
        label_row("osact2022:1", "نص"),
        label_row("osact2022:3", "نص", votes={"A": "000"}),
    ])
    with pytest.raises(DataError) as err:
        read_label_rows(bad)
    problems = err.value.problems
    assert any(":2: labels.threat must be 0 or 1" in p for p in problems)
    assert any(":3: id 'osact2022:1' appears twice" in p for p in problems)
    assert any(":4: votes: at least two annotators" in p for p in problems)


def external_units(monkeypatch, units):
    """The external datasets as just ``units``, present whatever the machine holds."""
    monkeypatch.setattr("khitab.data.real.units.real_units", lambda root: units)
    monkeypatch.setattr("khitab.data.external._common.SourceSpec.require", lambda spec, root: [])


def test_texts_are_rebuilt_from_the_external_units_and_a_changed_text_is_refused(tmp_path, monkeypatch):
    units = [Unit("osact2022:1", "سنحرق بيوتكم", "osact2022", "osact2022:1", "social", ()),
             Unit("armpro:7#0-20", "نفت الوزارة الخبر", "armpro", "armpro:page9", "news", ())]
    external_units(monkeypatch, units)
    path = write_rows(tmp_path / "labels.jsonl", [
        label_row("osact2022:1", "سنحرق بيوتكم"),
        label_row("armpro:7#0-20", "نفت الوزارة الخبر", source="armpro", group="armpro:page9", register="news",
                  labels={"threat": 0, "sectarian": 0, "denial": 1}, wave=12),
    ])
    rows = load_real(path, tmp_path)
    assert [r.meta["wave"] for r in rows] == ["01", "12"]  # wave 1's rows carry no wave field
    assert [r.text for r in rows] == ["سنحرق بيوتكم", "نفت الوزارة الخبر"]
    assert rows[1].labels == {"threat": 0, "sectarian": 0, "denial": 1}
    assert rows[1].group == "real:armpro:page9" and rows[1].meta["slice"] == "armpro"
    write_rows(path, [label_row("osact2022:1", "سنحرق بيوتكم غدا")])
    with pytest.raises(DataError, match="text differs"):
        load_real(path, tmp_path)
    write_rows(path, [label_row("osact2022:404", "نص")])
    with pytest.raises(DataError, match="not found"):
        load_real(path, tmp_path)


def test_validation_hands_back_the_rebuilt_items_and_names_a_changed_text(tmp_path, monkeypatch):
    """`khitab data validate` checks the contrast pairs against the items validate_real rebuilt,
    so they come back with it; a failed rebuild gives problems and no items."""
    units = [Unit("osact2022:1", "سنحرق بيوتكم", "osact2022", "osact2022:1", "social", ())]
    external_units(monkeypatch, units)
    path = write_rows(tmp_path / "labels.jsonl", [label_row("osact2022:1", "سنحرق بيوتكم")])
    check = validate_real(path, tmp_path)
    assert (check.rows, check.problems) == (1, [])
    assert [ex.text for ex in check.examples] == ["سنحرق بيوتكم"]
    write_rows(path, [label_row("osact2022:1", "سنحرق بيوتكم غدا")])
    check = validate_real(path, tmp_path)
    assert check.examples == [] and any("osact2022:1" in problem for problem in check.problems)
    absent = validate_real(path, tmp_path / "missing")
    assert absent.problems == [] and absent.examples == [] and "texts not checked" in absent.note


def test_the_committed_real_labels_are_valid_and_doubly_annotated():
    rows = read_label_rows(ROOT / "data" / "real" / "labels.jsonl")
    assert len(rows) >= 4000
    assert all(len(r["votes"]) >= 2 for r in rows)
    split = [r for r in rows if r["adjudicated"]]
    assert split and all("C" in r["votes"] for r in split)
    random_share = sum(r["stratum"].startswith("random") for r in rows) / len(rows)
    assert random_share >= 1 / 3


def test_an_absent_external_dataset_is_named_with_where_to_get_it(tmp_path):
    path = write_rows(tmp_path / "labels.jsonl", [label_row("osact2022:1", "سنحرق بيوتكم")])
    with pytest.raises(FileNotFoundError, match="external dataset 'osact2022'.*Obtain it from"):
        load_real(path, tmp_path / "external")


def test_a_later_wave_draws_only_units_no_earlier_wave_took_and_keeps_a_random_share():
    from khitab.data.real.sampling import draw

    units = [Unit(f"s:{i}", f"نص رقم {i}", "s", f"s:{i}", "social", ("incitement",) if i < 30 else ())
             for i in range(200)]
    first = draw(units, random_n=40, news_n=0, proxy_quotas={"incitement": 20}, cue_quotas={})
    taken = frozenset(s.unit.id for s in first)
    second = draw(units, random_n=40, news_n=0, seed=2028, proxy_quotas={"incitement": 20}, cue_quotas={},
                  exclude=taken)
    assert not taken & {s.unit.id for s in second}
    by_stratum = {}
    for s in second:
        by_stratum.setdefault(s.stratum, []).append(s.unit.id)
    left = 30 - sum(1 for u in units[:30] if u.id in taken)  # the first wave's random share took some too
    assert sorted(by_stratum["proxy:incitement"]) == sorted(u.id for u in units[:30] if u.id not in taken)
    assert len(by_stratum["proxy:incitement"]) == left < 20
    assert len(by_stratum["random"]) == 40
    assert draw(units, 40, 0, seed=2028, proxy_quotas={"incitement": 20}, cue_quotas={}, exclude=taken) == second


def test_a_wave_restricted_to_a_split_draws_only_that_splits_units_and_names_its_random_stratum():
    from khitab.data.real.corpus import real_split
    from khitab.data.real.sampling import draw

    units = [Unit(f"s:{i}", f"نص رقم {i}", "s", f"s:{i}", "social", ("hate",) if i % 2 else ())
             for i in range(300)]
    sample = draw(units, random_n=30, news_n=0, proxy_quotas={"hate": 20}, cue_quotas={}, split="train")
    assert all(real_split(s.unit.group) == "train" for s in sample)
    assert sorted({s.stratum for s in sample}) == ["proxy:hate", "random_train"]
    assert sum(s.stratum == "random_train" for s in sample) == 30
    everywhere = draw(units, random_n=150, news_n=0, proxy_quotas={}, cue_quotas={})
    assert {real_split(s.unit.group) for s in everywhere} > {"train"}  # without it, every split


def test_an_active_wave_reads_only_unlabeled_train_units_from_the_top_of_each_labels_ranking():
    from khitab.data.real.corpus import real_split
    from khitab.data.real.sampling import draw_active

    units = [Unit(f"s:{i}", f"نص رقم {i}", "s", f"s:{i}", "social", ()) for i in range(400)]
    probs = np.zeros((400, 2))
    probs[:, 0] = np.arange(400) / 400          # "threat" ranks the last units highest
    probs[:, 1] = 1 - np.arange(400) / 400      # "denial" the first ones
    labeled = frozenset({"s:399", "s:0"})
    sample = draw_active(units, probs, ["threat", "denial"], {"threat": (30, 10), "denial": (30, 10)}, 20,
                         exclude=labeled)
    train = [u for u in units if real_split(u.group) == "train" and u.id not in labeled]
    threat_pool = {u.id for u in sorted(train, key=lambda u: -int(u.id[2:]))[:30]}
    denial_pool = {u.id for u in sorted(train, key=lambda u: int(u.id[2:]))[:30]}
    strata = {}
    for s in sample:
        strata.setdefault(s.stratum, set()).add(s.unit.id)
    assert len(strata["active:threat"]) == 10 and strata["active:threat"] <= threat_pool
    assert len(strata["active:denial"]) == 10 and strata["active:denial"] <= denial_pool
    assert len(strata["random_train"]) == 20
    ids = [s.unit.id for s in sample]
    assert len(ids) == len(set(ids)) == 40
    assert all(real_split(s.unit.group) == "train" for s in sample)  # dev and test stay as they are
    assert not labeled & set(ids)


def test_the_committed_agreement_is_recomputed_exactly_from_the_votes_each_gold_row_keeps():
    from khitab.data.real.agreement import agreement_from_votes
    rows = read_label_rows(ROOT / "data" / "real" / "labels.jsonl")
    committed = json.loads((ROOT / "data" / "real" / "agreement.json").read_text())
    assert agreement_from_votes(rows) == committed
    # a disagreement written into one row's votes moves that wave's split count and kappa
    changed = [dict(r) for r in rows]
    first = next(i for i, r in enumerate(changed) if r["votes"]["A"][0] == "0" and r["votes"]["B"][0] == "0")
    changed[first]["votes"] = {**changed[first]["votes"], "A": "1" + changed[first]["votes"]["A"][1:]}
    wave = str(changed[first].get("wave", 1))
    after = agreement_from_votes(changed)["waves"][wave]["per_label"]["threat"]
    before = committed["waves"][wave]["per_label"]["threat"]
    assert after["split_votes"] == before["split_votes"] + 1
    assert after["cohen_kappa_A_B"] < before["cohen_kappa_A_B"]


def test_a_ruling_is_folded_into_committed_rows_once_and_keeps_the_first_labels():
    module = load_script("real_annotation")
    rows = [{"id": "a", "labels": {"threat": 0, "sectarian": 0, "denial": 0}, "votes": {"A": "000", "B": "000"}},
            {"id": "b", "labels": {"threat": 1, "sectarian": 0, "denial": 0}, "votes": {"A": "100", "B": "100"}}]
    decisions = {"a": {"id": "a", "ruling": "R14", "labels": {"threat": 1}, "votes": ["1", "1", "0"], "note": ""}}
    once = module.fold_ruling(rows, decisions)
    assert once[0]["labels"]["threat"] == 1 and once[0]["reread"]["was"] == {"threat": 0}
    assert once[1] == rows[1]
    assert module.fold_ruling(once, decisions) == once
    with pytest.raises(SystemExit, match="already re-read under R14"):
        module.fold_ruling(once, {"a": {**decisions["a"], "ruling": "R13"}})
    with pytest.raises(SystemExit, match="no gold row: z"):
        module.fold_ruling(rows, {"z": decisions["a"]})
