"""Commands that make and measure models: `khitab train`, `evaluate`, `calibrate`, `thresholds`."""
from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from khitab.cli.app import app, say, source_roots, user_errors
from khitab.config import load_train_config
from khitab.errors import DataError
from khitab.models.bundle import load_model


@app.command()
def train(
    config: Annotated[Path, typer.Option(help="Training config (YAML).")],
    set_: Annotated[Optional[list[str]], typer.Option("--set", help="Override a config key: a.b=value.")] = None,
) -> None:
    """Train a model from a config and write its bundle."""
    from khitab.training.train import train as run_training

    with user_errors():
        loaded = load_train_config(config, set_ or [])
        run_training(loaded, log=say)


class EvalUnit(str, Enum):
    sentence = "sentence"
    document = "document"


class ThresholdStrategy(str, Enum):
    max_f1 = "max_f1"
    target_precision = "target_precision"


def _eval_model(model: Optional[Path]):
    """The bundle to evaluate: ``--model`` as it is (any labels), else the default bundle."""
    from khitab.training.train import default_bundle

    path = model or default_bundle(log=say)
    return path, load_model(path)



def _calibrate(path: Path, data: str, labels: list[str], config: Optional[Path], output: Optional[Path] = None,
               remedy: str = "give --output DIR to calibrate a copy") -> Path:
    """``calibrate`` and ``evaluate --fit-temperature``: the bundle written (``path`` or ``output``)."""
    from khitab.evaluation.datasets import load_datasets
    from khitab.tuning import calibrate_bundle, writable_bundle

    (dataset,) = load_datasets([data], labels, source_roots(config))
    target = writable_bundle(path, output, remedy)
    calibrate_bundle(target, dataset, log=say)
    return target


@app.command()
def evaluate(
    data: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data",
            help="[NAME=]FILE.jsonl|.csv, corpus:train|dev|test, context:dev|test or external:SOURCE; "
            "repeat for several datasets.",
        ),
    ] = None,
    model: Annotated[Optional[Path], typer.Option(help="Bundle to evaluate (default: the default bundle).")] = None,
    output: Annotated[Path, typer.Option(help="Folder for metrics.json, report.html, report.md.")] = Path(
        "reports/evaluation"
    ),
    unit: Annotated[
        EvalUnit, typer.Option(help="sentence: each row is one unit; document: max over its sentences.")
    ] = EvalUnit.sentence,
    seed_gold: Annotated[
        Optional[Path], typer.Option("--seed-gold", help="Seed gold file (X.gold.jsonl next to X.txt): dataset 'seed'.")
    ] = None,
    compare: Annotated[Optional[Path], typer.Option(help="Another bundle to compare against.")] = None,
    fit_temperature: Annotated[
        Optional[str],
        typer.Option("--fit-temperature", metavar="DATA", help="First fit a temperature per label on DATA "
                     "(e.g. corpus:dev) and save it into the --model bundle."),
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap resamples for the 95 % CIs (0: none).")] = 1000,
    top: Annotated[int, typer.Option(min=0, help="False positives/negatives listed per label.")] = 10,
    faithfulness: Annotated[bool, typer.Option(
        "--faithfulness", help="ERASER comprehensiveness/sufficiency of the cue spans of flagged positives "
        "(costs model calls; see --faithfulness-sample).")] = False,
    faithfulness_sample: Annotated[int, typer.Option(
        min=1, help="Flagged positives explained per dataset at most (seeded sample).")] = 50,
    explain_errors: Annotated[bool, typer.Option(
        "--explain-errors", help="Mark the cue words of the listed false positives/negatives (costs model calls).")
    ] = False,
) -> None:
    """Measure a model on labeled datasets; write metrics.json, report.html and report.md."""
    from khitab.evaluation.datasets import load_datasets, load_seed
    from khitab.evaluation.evaluate import evaluate as run_evaluation
    from khitab.evaluation.evaluate import row_verdicts, score_dataset
    from khitab.evaluation.report import summary_text

    with user_errors():
        if not data and seed_gold is None and fit_temperature is None:
            raise DataError(["nothing to evaluate: give --data FILE_OR_SOURCE and/or --seed-gold FILE"])
        path, classifier = _eval_model(model)
        if fit_temperature is not None:
            _calibrate(path, fit_temperature, classifier.labels, config,
                       remedy="calibrate a copy (khitab calibrate --output DIR), then evaluate --model DIR")
            classifier = load_model(path)
        datasets = load_datasets(data or [], classifier.labels, source_roots(config))
        if seed_gold is not None:
            datasets.append(load_seed(seed_gold, classifier.labels))
        if not datasets:
            return
        other = load_model(compare) if compare is not None else None
        metrics = run_evaluation(
            classifier, datasets, unit=unit.value, compare=other, output_dir=output, model_path=path,
            compare_path=compare, resamples=bootstrap, top_k=top, log=say,
            faithfulness=faithfulness_sample if faithfulness else 0, explain_errors=explain_errors,
        )
        if seed_gold is not None:
            for line in row_verdicts(score_dataset(classifier, datasets[-1], unit.value)):
                say(line)
    typer.echo(summary_text(metrics))


@app.command()
def calibrate(
    data: Annotated[str, typer.Option(help="Dev data: FILE, corpus:dev (default) or external:SOURCE.")] = "corpus:dev",
    model: Annotated[Optional[Path], typer.Option(help="Bundle to calibrate (default: the default bundle).")] = None,
    output: Annotated[
        Optional[Path], typer.Option(help="Write the calibrated bundle here (a new folder) and leave --model as it is; "
                                     "needed for the shipped default.")
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
) -> None:
    """Fit a temperature per label on dev data and save it into the bundle (decisions unchanged)."""
    with user_errors():
        path, classifier = _eval_model(model)
        path = _calibrate(path, data, classifier.labels, config, output)
        say(f"saved temperatures into {path}")


@app.command()
def thresholds(
    data: Annotated[
        list[str],
        typer.Option("--data", help="Labeled data to tune on: FILE, corpus:dev, context:dev or external:SOURCE; "
                     "repeat to pool several."),
    ],
    model: Annotated[Optional[Path], typer.Option(help="Bundle to re-tune (default: the default bundle).")] = None,
    strategy: Annotated[
        ThresholdStrategy,
        typer.Option(help="max_f1: best F1 per label; target_precision: the lowest threshold reaching "
                     "--target-precision (most recall at that precision)."),
    ] = ThresholdStrategy.max_f1,
    target_precision: Annotated[
        float, typer.Option(min=0.01, max=1.0, help="Precision asked of each label (target_precision).")
    ] = 0.9,
    output: Annotated[
        Optional[Path], typer.Option(help="Write the re-tuned bundle here (a new folder) and leave --model as it is.")
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Training config locating corpus:/external: sources (default baseline).")
    ] = None,
) -> None:
    """Re-tune each label's decision threshold on labeled data (e.g. a sample of your own traffic)
    and save them into the bundle; scores are unchanged, decisions follow the new thresholds."""
    from khitab.config import ThresholdConfig
    from khitab.evaluation.datasets import load_datasets
    from khitab.models.bundle import copy_bundle
    from khitab.tuning import retune_bundle

    with user_errors():
        path, classifier = _eval_model(model)
        datasets = load_datasets(data, classifier.labels, source_roots(config))
        if output is not None:
            path = copy_bundle(path, output)
        retune_bundle(path, datasets, ThresholdConfig(strategy=strategy.value, target_precision=target_precision),
                      log=say, model=classifier)
        say(f"saved thresholds into {path}")
