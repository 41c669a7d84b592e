"""The evals tooling (runner, metrics, split, baseline gate, bad input). Not quality: that is
what `python -m evals run` measures. Uses tiny inline datasets; ../shared is not needed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from evals import baseline as B
from evals.cli import main as evals_main
from evals.dataset import load_dataset
from evals.metrics import metrics, quadratic_weighted_kappa
from evals.split import side
from interviewer.errors import InputError

KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge" / "questions"

ROWS = [
    {"id": "a", "question": "What does torch.cat do?", "category": "full",
     "reference_answer": "torch.cat joins tensors along an existing dimension.",
     "answer": "It concatenates tensors along a dimension they already have.", "score": 5},
    {"id": "b", "question": "What does torch.cat do?", "category": "off_topic",
     "reference_answer": "torch.cat joins tensors along an existing dimension.",
     "answer": "Paris is the capital of France.", "score": 0},
    {"id": "c", "question": "What does torch.cat do?", "category": "partial",
     "reference_answer": "torch.cat joins tensors along an existing dimension.",
     "answer": "It joins tensors.", "score": 6, "score_max": 10},
]


def write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_metrics_known_values():
    assert quadratic_weighted_kappa([0, 1, 2, 5], [0, 1, 2, 5]) == pytest.approx(1.0)
    m = metrics([0, 5, 3], [1, 4, 3])
    assert m["mae"] == pytest.approx(2 / 3) and m["within_1"] == 1.0 and m["exact"] == 1 / 3
    assert m["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert quadratic_weighted_kappa([0, 5, 0, 5], [5, 0, 5, 0]) < 0


def test_split_is_by_question_and_fixed():
    assert side("Q3") == "dev" and side("Q13") == "dev" and side("Q1") == "train"
    assert side("Q100") == "train" and side("custom-id") == side("custom-id")
    assert side("Q3.2") == "dev" and side("Q1.4") == "train"  # a follow-up goes with its parent


def test_follow_up_rows_are_graded_on_the_follow_ups_own_rubric(tmp_path):
    data = write(tmp_path / "d.jsonl", [{"id": "f1", "answer": "a", "score": 4,
                                         "question_id": "Q1.1"}])
    q = load_dataset(data, KNOWLEDGE)[0].question
    assert q.id == "Q1.1" and q.curated and "graph break" in q.question
    assert q.topic == load_dataset(write(tmp_path / "m.jsonl", [
        {"id": "m", "answer": "a", "score": 1, "question_id": "Q1"}]), KNOWLEDGE)[0].question.topic


def test_run_writes_report_and_plots(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = write(tmp_path / "d.jsonl", ROWS)
    out, rep = tmp_path / "r.json", tmp_path / "rep"
    assert evals_main(["run", "--dataset", str(data), "--grader", "offline", "--out", str(out),
                       "--report-dir", str(rep)]) == 0
    doc = json.loads(out.read_text())
    for k in ("qwk", "pearson", "spearman", "mae", "rmse", "exact", "within_1",
              "seconds_per_answer"):
        assert k in doc["metrics"]
    assert {i["id"] for i in doc["items"]} == {"a", "b", "c"}
    item = next(i for i in doc["items"] if i["id"] == "c")
    assert item["gold"] == 3.0 and item["category"] == "partial"  # score_max honoured
    assert set(doc["per_category"]) == {"full", "off_topic", "partial"}
    assert {p.name for p in rep.iterdir()} >= {"report.md", "confusion.png", "scatter.png",
                                                "categories.png"}


def test_baseline_gate(tmp_path):
    good = {"qwk": 0.8, "pearson": 0.8, "spearman": 0.8, "exact": 0.5, "within_1": 0.9,
            "mae": 0.5, "rmse": 0.7}
    base = B.baseline_doc({"dataset": "d", "grader": "offline", "metrics": good})
    assert B.compare(good, base) == []
    assert B.compare({**good, "qwk": 0.79}, base) == []  # within tolerance
    worse = B.compare({**good, "qwk": 0.7, "mae": 0.6}, base)
    assert len(worse) == 2 and worse[0].startswith("qwk")


def test_run_exits_nonzero_on_regression(tmp_path):
    data = write(tmp_path / "d.jsonl", ROWS)
    base = tmp_path / "b.json"
    B.save({"metrics": {"mae": 0.0}, "tolerance": {"mae": 0.0}}, base)
    assert evals_main(["run", "--dataset", str(data), "--out", str(tmp_path / "r.json"),
                       "--baseline", str(base)]) == 1


@pytest.mark.parametrize("rows, message", [
    ([], "empty"),
    ([{"id": "x", "answer": "a"}], "score"),
    ([{"id": "x", "answer": "a", "score": 1}], "question_id"),
    ([{"id": "x", "answer": "a", "score": 9, "question_id": "Q1"}], "score_max"),
    ([{"id": "x", "answer": "a", "score": 1, "reference_answer": "r"}], "inline question"),
])
def test_bad_rows_name_the_row(tmp_path, rows, message):
    data = write(tmp_path / "d.jsonl", rows)
    with pytest.raises(InputError, match=message) as e:
        load_dataset(data, tmp_path)  # empty knowledge folder is fine for inline rows
    if rows:
        assert "d.jsonl:1" in str(e.value)


def test_unknown_question_id_against_the_knowledge_base(tmp_path):
    from pathlib import Path

    kb = Path(__file__).resolve().parents[1] / "knowledge" / "questions"
    data = write(tmp_path / "d.jsonl", [{"id": "r1", "answer": "a", "score": 1,
                                         "question_id": "Q999"}])
    with pytest.raises(InputError, match="r1.*Q999"):
        load_dataset(data, kb)


def test_inline_reference_wins_over_question_id(tmp_path):
    row = {**ROWS[0], "question_id": "Q17"}
    items = load_dataset(write(tmp_path / "d.jsonl", [row]), None)
    assert items[0].question.reference == ROWS[0]["reference_answer"]
    assert not items[0].question.curated


def test_gate_refuses_nan_and_empty_baselines():
    from evals.baseline import compare

    assert compare({"qwk": float("nan")}, {"metrics": {"qwk": 0.9}})
    assert compare({"qwk": 0.95}, {"metrics": {}}) == [
        "the baseline has no metrics: refusing to gate against nothing"]
    assert compare({"qwk": 0.95}, {"metrics": {"qwk": 0.9}}) == []


def test_select_rule_and_folds():
    from evals.select import choose, folds

    fold = folds(["Q1", "Q2", "Q1", "Q10", "Q3", "Q2"], k=2)
    assert fold[0] == fold[2] and fold[1] == fold[5]  # a question never spans two folds
    assert set(fold) == {0, 1}
    results = [{"name": "simple", "admissible": True, "honest_pearson": 0.700},
               {"name": "complex", "admissible": True, "honest_pearson": 0.704},
               {"name": "unsafe", "admissible": False, "honest_pearson": 0.900}]
    assert choose(results) == "simple"  # within the tie margin, the simpler one
    results[1]["honest_pearson"] = 0.75
    assert choose(results) == "complex"
    with pytest.raises(SystemExit):
        choose([results[2]])


def test_select_admissibility_depends_on_mode():
    from evals.select import summarise

    cats = np.array(["full", "full", "negation_trap", "ordinary", "ordinary"])
    y = np.array([5.0, 4.5, 0.0, 3.0, 1.0])
    pred = np.array([4.8, 4.4, 2.5, 3.2, 1.5])  # the trap is not caught
    assert summarise(y, pred, cats, "generic")["admissible"]
    assert not summarise(y, pred, cats, "curated")["admissible"]


def test_fit_and_select_refuse_dev_questions(tmp_path):
    dev = write(tmp_path / "d.jsonl", [{"id": "x", "question_id": "Q3", "answer": "a",
                                        "score": 1}])
    with pytest.raises(SystemExit, match="dev question"):
        evals_main(["fit", "--dataset", str(dev), "--extra", str(dev)])
    with pytest.raises(SystemExit, match="dev question"):
        evals_main(["select", "--dataset", str(dev), "--extra", str(dev)])


def test_run_generic_strips_the_rubric(tmp_path):
    from evals.dataset import without_rubric

    ds = write(tmp_path / "kb.jsonl", [{"id": "k", "question_id": "Q17", "score": 4,
                                        "answer": "view needs contiguous memory."}])
    (item,) = load_dataset(ds, KNOWLEDGE)
    (bare,) = without_rubric([item])
    assert item.question.curated and not bare.question.curated
    assert bare.question.reference == item.question.reference


def test_run_with_a_missing_calibration_file_says_so(tmp_path, capsys):
    ds = write(tmp_path / "d.jsonl", ROWS)
    code = evals_main(["run", "--dataset", str(ds), "--out", str(tmp_path / "r.json"),
                       "--calibration", str(tmp_path / "nope.json")])
    assert code == 2
    assert "no such calibration file" in capsys.readouterr().err


def test_contrasts_reverse_the_text():
    from evals import contrast as C

    assert C.negate("view() never copies.") == "view() copies."
    assert C.negate("A tensor is an array.") == "A tensor is not an array."
    assert C.negate("reshape() returns a view.") == "reshape() does not return a view."
    assert C.negate("Hello") is None
    text = "Use `view` for aliases. `reshape` may copy. AdamW decouples decay; Adam does not."
    assert ("view", "reshape") in C.name_pairs(text)
    assert C.swap_names(text, "Adam", "AdamW").endswith("decay; AdamW does not.")
    assert C.swap_names(text, "view", "reshape").startswith("Use `reshape` for aliases. `view`")
    assert C.deny("x.", "No.") == "x. No."


def test_grader_data_uses_train_questions_only(knowledge_questions):
    from evals.grader_data import (CON, ENT, MIS, check_train_only, contrast_pairs,
                                   describe)

    pairs = contrast_pairs(knowledge_questions)
    train_points = {p for q in knowledge_questions if side(q.id) == "train"
                    for p in q.key_points + q.misconceptions}
    assert pairs and {p.hypothesis for p in pairs} <= train_points
    assert set(describe(pairs)["by_label"]) == {ENT, CON, MIS}
    with pytest.raises(SystemExit, match="Q3 is a dev question"):
        check_train_only(["Q1", "Q3"])


def test_point_labels_become_pairs_and_bad_labels_are_refused(tmp_path):
    from evals.grader_data import CON, ENT, MIS, point_label_pairs, read_point_labels

    q = next(f"Q{n}" for n in range(1, 101) if side(f"Q{n}") == "train")
    items = load_dataset(write(tmp_path / "a.jsonl", [
        {"id": "r1", "question_id": q, "answer": "Some answer. Another sentence.",
         "score": 2, "category": "ordinary"}]), KNOWLEDGE)
    n = len(items[0].question.key_points)
    marks = ["entailed", "partial", "contradicted"] + ["missing"] * (n - 3)
    labels = read_point_labels(write(tmp_path / "l.jsonl", [{"id": "r1", "labels": marks}]))
    pairs = point_label_pairs(items, labels)
    assert [p.label for p in pairs] == [ENT, CON] + [MIS] * (n - 3)  # "partial" makes no pair
    assert pairs[0].hypothesis == items[0].question.key_points[0]
    with pytest.raises(SystemExit, match="2 labels for"):
        point_label_pairs(items, {"r1": ["entailed", "missing"]})
    with pytest.raises(SystemExit, match="unknown label 'yes'"):
        read_point_labels(write(tmp_path / "b.jsonl", [{"id": "r1", "labels": ["yes"]}]))


def test_statements_become_pairs_on_train_questions_only(tmp_path, knowledge_questions):
    from evals.grader_data import CON, ENT, MIS, statement_pairs

    questions = {q.id: q for q in knowledge_questions}
    train = next(q for q in knowledge_questions if side(q.id) == "train" and q.key_points)
    dev = next(q for q in knowledge_questions if side(q.id) == "dev" and q.key_points)
    rows = [{"question_id": train.id, "point": 0, "label": lab, "text": f"said {lab}"}
            for lab in ("entailed", "missing", "contradicted")]
    pairs = statement_pairs(write(tmp_path / "s.jsonl", rows), questions)
    assert [(p.hypothesis, p.premise, p.label) for p in pairs] == [
        (train.key_points[0], "said entailed", ENT), (train.key_points[0], "said missing", MIS),
        (train.key_points[0], "said contradicted", CON)]
    with pytest.raises(SystemExit, match="dev question"):
        statement_pairs(write(tmp_path / "d.jsonl", [{**rows[0], "question_id": dev.id}]),
                        questions)
    with pytest.raises(SystemExit, match="s2.jsonl:1: unknown"):
        statement_pairs(write(tmp_path / "s2.jsonl", [{**rows[0], "point": 99}]), questions)


def test_an_answer_to_another_question_addresses_none_of_its_points(tmp_path,
                                                                   knowledge_questions):
    from evals.grader_data import MIS, other_answer_pairs

    q = next(q for q in knowledge_questions if side(q.id) == "train" and q.key_points)
    items = load_dataset(write(tmp_path / "a.jsonl", [
        {"id": "r1", "question_id": q.id, "answer": q.reference, "score": 5,
         "category": "full"},
        {"id": "r2", "question_id": q.id, "answer": "No idea.", "score": 0,
         "category": "partial"}]), KNOWLEDGE)
    pairs = other_answer_pairs(items, knowledge_questions)
    others = {p for o in knowledge_questions if o.topic == q.topic and o.id != q.id
              and side(o.id) == "train" for p in o.key_points}
    assert pairs and all(p.label == MIS and p.hypothesis in others for p in pairs)
    assert all(p.premise != "No idea." for p in pairs)  # only full answers are used


@pytest.mark.model
def test_wrong_question_grades_each_good_answer_against_another_question(tmp_path,
                                                                        knowledge_questions):
    from evals.wrong_question import evaluate
    from interviewer.grading.offline import OfflineGrader

    q = next(q for q in knowledge_questions if side(q.id) == "dev" and q.key_points)
    rows = [{"id": "g", "question_id": q.id, "answer": q.reference, "score": 5},
            {"id": "w", "question_id": q.id, "answer": "No idea.", "score": 0}]
    doc = evaluate(OfflineGrader(), knowledge_questions, [write(tmp_path / "a.jsonl", rows)],
                   KNOWLEDGE)
    r = doc["a.jsonl"]
    assert r["n"] == 1  # the answer below gold 4 is left out
    assert 0 <= r["wrong_question_mean"] <= 5 and r["own_question_mean"] > 0


def test_semeval_f1_known_values():
    from evals.semeval import f1_scores

    m = f1_scores(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]))
    assert m["accuracy"] == 0.75 and m["f1_per_class"] == [0.6667, 0.6667, 1.0]
    assert m["weighted_f1"] == pytest.approx((2 * 2 / 3 + 2 / 3 + 1) / 4)


@pytest.mark.slow
def test_train_grader_end_to_end_on_a_tiny_subset(tmp_path):
    from evals.cli import SEMEVAL
    from interviewer.grading.entail import EntailmentModel, read_artifact

    if not SEMEVAL.is_file():
        pytest.skip("../shared SemEval-2013 data is not here")
    out = tmp_path / "model"
    assert evals_main(["train-grader", "--limit", "24", "--epochs", "1", "--threads", "1",
                       "--out-dir", str(out)]) == 0
    manifest, _ = read_artifact(out)
    assert manifest["training"]["steps"] == 1 and manifest["data"]["pairs"] == 24
    probs = EntailmentModel(out).predict(["a claim"], ["an answer"])
    assert probs.shape == (1, 3) and abs(probs.sum() - 1) < 1e-5


def test_point_rates_known_values():
    from collections import Counter

    from evals.points import rates

    table = Counter({("entailed", "covered"): 6, ("missing", "covered"): 2,
                     ("partial", "covered"): 2, ("entailed", "missing"): 3,
                     ("entailed", "partial"): 1, ("missing", "missing"): 9})
    r = rates(table)
    assert r == {"told_covered_but_not_said": 0.2, "told_missing_but_said": 0.3,
                 "covered_precision": 0.6, "entailed_recall": 0.6}
    assert rates(Counter())["covered_precision"] is None  # nothing shown: no rate


@pytest.mark.model
def test_points_eval_sets_each_shown_verdict_beside_its_label(tmp_path, knowledge_questions):
    from evals.points import SHOWN, evaluate
    from interviewer.grading.offline import OfflineGrader

    q = next(q for q in knowledge_questions if side(q.id) == "dev" and q.key_points)
    n = len(q.key_points)
    rows = [{"id": "ref", "question_id": q.id, "answer": q.reference, "score": 5},
            {"id": "none", "question_id": q.id, "answer": "No idea, sorry.", "score": 0}]
    data = write(tmp_path / "a.jsonl", rows)
    labels = write(tmp_path / "l.jsonl", [{"id": "ref", "labels": ["entailed"] * n},
                                          {"id": "none", "labels": ["missing"] * n}])
    doc = evaluate(OfflineGrader(), labels, [data], KNOWLEDGE)
    assert doc["answers"] == 2 and doc["points"] == 2 * n
    assert doc["table"]["missing"]["missing"] == n  # "No idea" is shown missing throughout
    assert sum(doc["table"]["entailed"][s] for s in SHOWN) == n
    bad = write(tmp_path / "b.jsonl", [{"id": "elsewhere", "labels": ["missing"] * n}])
    with pytest.raises(SystemExit, match="in none of"):
        evaluate(OfflineGrader(), bad, [data], KNOWLEDGE)
