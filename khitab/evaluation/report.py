"""Evaluation reports: ``report.html`` (self-contained: plots inline as base64 PNG, no external
URL) and ``report.md`` (plots in ``plots/``), rendered from one list of blocks.

Sections: summary, comparison (with ``--compare``), then per dataset: PR curves, reliability
diagram, confusion counts, threshold sweep, breakdowns, top false positives and negatives.
"""
from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np

from khitab.evaluation.plots import pr_plot, reliability_plot, sweep_plot, sweep_values

SWEEP_TABLE = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
TEXT_LIMIT = 300


# --- blocks ------------------------------------------------------------------------------


@dataclass
class Heading:
    level: int
    text: str
    anchor: str = ""


@dataclass
class Para:
    text: str


@dataclass
class Marked:
    """A text cell with marked pieces (cue words): (piece, marked) in order."""

    pieces: list[tuple[str, bool]]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str | Marked]]
    text_columns: set[int] = field(default_factory=set)  # Arabic text: right-to-left, wrapped


@dataclass
class Images:
    """Plots shown side by side: (file name, PNG bytes, alt text)."""

    items: list[tuple[str, bytes, str]]


Block = Heading | Para | Table | Images


# --- formatting --------------------------------------------------------------------------


def num(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def with_ci(value: float | None, ci: Sequence[float] | None) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else f"{value:.3f}"


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "dataset"


def shorten(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def marked(text: str, spans: Sequence[tuple[int, int]], limit: int = TEXT_LIMIT) -> str | Marked:
    """``shorten(text)`` with ``spans`` (offsets into ``text``) marked; plain without spans."""
    if not spans:
        return shorten(text, limit)
    pieces, cursor = [], 0
    for start, end in sorted(spans):
        pieces += [(text[cursor:start], False), (text[start:end], True)]
        cursor = end
    pieces.append((text[cursor:], False))
    out, used = [], 0
    for k, (piece, is_cue) in enumerate(pieces):
        piece = re.sub(r"\s+", " ", piece)
        piece = piece.lstrip() if k == 0 else piece.rstrip() if k == len(pieces) - 1 else piece
        if used + len(piece) >= limit:
            out.append((piece[:max(limit - 1 - used, 0)] + "…", is_cue))
            break
        out.append((piece, is_cue))
        used += len(piece)
    return Marked([(p, m) for p, m in out if p])


# --- content -----------------------------------------------------------------------------


def build_blocks(
    metrics: dict, scored: Mapping[str, Any], other_scored: Mapping[str, Any], top_k: int = 10,
    error_cues: Mapping[str, Mapping] | None = None,
) -> list[Block]:
    model = metrics["model"]
    all_labels = model["labels"]
    boot = metrics.get("bootstrap", {})
    blocks: list[Block] = [
        Heading(1, f"Evaluation of {model['name']}"),
        Para(
            f"Model {model['name']} ({model['kind']}, version {model['version']}"
            + (f", {model['path']}" if model.get("path") else "")
            + f"). Unit: {metrics['unit']}. Created {metrics.get('created', '')}. "
            f"Confidence intervals: {int(boot.get('level', 0.95) * 100)} % percentile bootstrap, "
            f"{boot.get('resamples', 0)} resamples. Labels a dataset does not carry are absent, not zero; "
            "borderline rows are not scored."
        ),
        *summary_blocks(metrics),
    ]
    if "compare" in metrics:
        blocks += comparison_blocks(metrics)
    for name, s in scored.items():
        blocks += dataset_blocks(name, metrics["datasets"][name], s, other_scored.get(name), all_labels, top_k,
                                 (error_cues or {}).get(name))
    return blocks


def summary_blocks(metrics: dict) -> list[Block]:
    rows, overall = [], []
    for name, d in metrics["datasets"].items():
        overall.append(
            [name, str(d["n"]), str(d.get("n_borderline_excluded", 0)), ", ".join(d["labels"]),
             num(d["macro_f1"]), num(d["micro_f1"])]
        )
        for label, m in d["labels"].items():
            rows.append(
                [name, label, str(m["n"]), str(m["n_pos"]), num(m["precision"]), num(m["recall"]),
                 with_ci(m["f1"], m.get("f1_ci")), with_ci(m["pr_auc"], m.get("pr_auc_ci")), num(m["roc_auc"]),
                 num(m["ece"]), num(m["threshold"])]
            )
    return [
        Heading(2, "Summary", "summary"),
        Table(["dataset", "rows", "borderline left out", "labels", "macro F1", "micro F1"], overall),
        Table(
            ["dataset", "label", "n", "positives", "precision", "recall", "F1 [95 % CI]", "PR-AUC [95 % CI]",
             "ROC-AUC", "ECE", "threshold"],
            rows,
        ),
    ]


def comparison_blocks(metrics: dict) -> list[Block]:
    other = metrics["compare"]["model"]
    rows = []
    for name, d in metrics["compare"]["datasets"].items():
        for label, entry in d["differences"].items():
            for metric in ("f1", "pr_auc", "roc_auc"):
                item = entry[metric]
                ci = item.get("ci")
                exceeds = item.get("exceeds_ci")
                rows.append(
                    [name, label, metric, num(item["model"]), num(item["other"]),
                     "–" if item["diff"] is None else f"{item['diff']:+.3f}",
                     f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else "–",
                     "–" if exceeds is None else ("yes" if exceeds else "no")]
                )
        mine = metrics["datasets"][name]["macro_f1"]
        theirs = d["macro_f1"]
        diff = None if mine is None or theirs is None else mine - theirs
        shown = "–" if diff is None else f"{diff:+.3f}"
        rows.append([name, "(all)", "macro F1", num(mine), num(theirs), shown, "–", "–"])
    return [
        Heading(2, f"Comparison with {other['name']}", "comparison"),
        Para(
            f"This model minus {other['name']} ({other['kind']}, version {other['version']}"
            + (f", {other['path']}" if other.get("path") else "")
            + "), on the same rows. The interval is a 95 % paired bootstrap of the difference; "
            "'exceeds CI' means it excludes 0 (the difference is larger than resampling noise)."
        ),
        Table(["dataset", "label", "metric", "this model", "compared", "difference", "95 % CI of difference",
               "exceeds CI"], rows),
    ]


def dataset_blocks(name: str, d: dict, s, other, all_labels: Sequence[str], top_k: int,
                   cues: Mapping[tuple[int, int], list] | None = None) -> list[Block]:
    key = slug(name)
    absent = [label for label in all_labels if label not in d["labels"]]
    blocks: list[Block] = [
        Heading(2, f"Dataset {name}", f"dataset-{key}"),
        Para(
            f"Source: {d['source']}. {d['n']} rows scored"
            + (f", {d['n_borderline_excluded']} borderline rows left out" if d.get("n_borderline_excluded") else "")
            + f". Labels: {', '.join(d['labels'])}"
            + (f"; not carried (absent, not zero): {', '.join(absent)}" if absent else "")
            + "."
        ),
        Images(
            [
                (f"{key}_pr.png", pr_plot(s, other, all_labels), f"Precision-recall curves, {name}"),
                (f"{key}_reliability.png", reliability_plot(s, all_labels), f"Reliability diagram, {name}"),
            ]
        ),
        Heading(3, "Confusion counts"),
        Table(
            ["label", "TP", "FP", "FN", "TN", "threshold"],
            [[label, *(str(m["confusion"][c]) for c in ("tp", "fp", "fn", "tn")), num(m["threshold"])]
             for label, m in d["labels"].items()],
        ),
        Heading(3, "Threshold sweep"),
        Images([(f"{key}_sweep.png", sweep_plot(s, all_labels), f"Precision, recall and F1 by threshold, {name}")]),
        sweep_table(s),
    ]
    for group, values in d.get("breakdown", {}).items():
        blocks += [Heading(3, f"By {group}"), breakdown_table(values, s.labels)]
    if d.get("faithfulness"):
        blocks += faithfulness_blocks(d["faithfulness"])
    blocks += error_blocks(s, top_k, cues)
    return blocks


def sweep_table(s) -> Table:
    columns = []
    for label in s.labels:
        y, p, _ = s.label_view(label)
        columns.append(sweep_values(y, p, SWEEP_TABLE))
    return Table(
        ["threshold", *(f"{label} P / R / F1" for label in s.labels)],
        [[f"{t:.1f}", *(" / ".join(f"{v:.2f}" for v in column[i]) for column in columns)]
         for i, t in enumerate(SWEEP_TABLE)],
    )


def breakdown_table(values: dict, labels: Sequence[str]) -> Table:
    rows = []
    for value, m in values.items():
        cells = []
        for label in labels:
            lm = m["labels"].get(label)
            if lm is None:
                cells.append("–")
            elif lm["n_pos"] == 0:  # F1 undefined; left out of the row's macro-F1
                cells.append(f"– (0/{lm['n']})")
            else:
                cells.append(f"{lm['f1']:.3f} ({lm['n_pos']}/{lm['n']})")
        rows.append([value, str(m["n"]), *cells, num(m["macro_f1"])])
    return Table(["value", "rows", *(f"{label} F1 (pos/n)" for label in labels), "macro F1"], rows)


def top_errors(s, j: int, top_k: int) -> tuple[list[int], list[int]]:
    """Row indices of the ``top_k`` most confident false positives and false negatives."""
    known, y, p, t = s.known[:, j], s.targets[:, j], s.probs[:, j], s.thresholds[j]
    fp = np.flatnonzero(known & (y == 0) & (p >= t))
    fn = np.flatnonzero(known & (y == 1) & (p < t))
    fp = fp[np.argsort(-p[fp], kind="stable")][:top_k]
    fn = fn[np.argsort(p[fn], kind="stable")][:top_k]
    return fp.tolist(), fn.tolist()


def faithfulness_blocks(f: dict) -> list[Block]:
    """ERASER faithfulness of the cue spans of flagged positives (``--faithfulness``)."""
    rows = [[label, str(m["n"]), num(m["comprehensiveness"]), num(m["random_comprehensiveness"]),
             num(m["sufficiency"])] for label, m in f["labels"].items()]
    rows.append(["(all)", str(f["n"]), num(f["comprehensiveness"]), num(f["random_comprehensiveness"]),
                 num(f["sufficiency"])])
    return [
        Heading(3, "Faithfulness of cue spans"),
        Para(f"Cue spans of {f['with_cues']} of {f['sampled']} sampled flagged positives (of "
             f"{f['flagged_positives']}). Comprehensiveness: probability drop without the cues; random: the "
             f"drop without random spans of the same lengths ({f['draws']} draws, seed {f['seed']}); "
             "sufficiency: the drop keeping only the cues (lower is better)."),
        Table(["label", "n", "comprehensiveness", "random comprehensiveness", "sufficiency"], rows),
    ]


def error_blocks(s, top_k: int, cues: Mapping[tuple[int, int], list] | None = None) -> list[Block]:
    """The top false positives and negatives; with ``cues`` ((row, label column) -> spans of
    the shown text) their cue words marked."""
    if top_k <= 0:
        return []
    cues = cues or {}
    headers = ["label", "score", "row", "text"] + (["highest-scoring sentence"] if s.evidence else [])
    columns = {3, 4} if s.evidence else {3}
    blocks: list[Block] = []
    for kind, pick in (("false positives", 0), ("false negatives", 1)):
        rows = []
        for j, label in enumerate(s.labels):
            for i in top_errors(s, j, top_k)[pick]:
                spans = cues.get((i, j), [])
                text = s.dataset.examples[i].text
                row = [label, f"{s.probs[i, j]:.3f}", s.dataset.where[i], marked(text, [] if s.evidence else spans)]
                if s.evidence:
                    row.append(marked(s.evidence[i][j], spans))
                rows.append(row)
        blocks.append(Heading(3, f"Top {kind} (up to {top_k} per label)"))
        blocks.append(Table(headers, rows, columns) if rows else Para(f"No {kind}."))
    return blocks


# --- rendering ---------------------------------------------------------------------------


def render_html(blocks: Sequence[Block], title: str) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            anchor = f' id="{html.escape(block.anchor)}"' if block.anchor else ""
            parts.append(f"<h{block.level}{anchor}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Para):
            parts.append(f"<p>{html.escape(block.text)}</p>")
        elif isinstance(block, Table):
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            body = "".join(
                "<tr>"
                + "".join(
                    f'<td class="ar" dir="rtl">{_html_cell(c)}</td>' if k in block.text_columns
                    else f"<td>{_html_cell(c)}</td>"
                    for k, c in enumerate(row)
                )
                + "</tr>"
                for row in block.rows
            )
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif isinstance(block, Images):
            images = "".join(
                f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,'
                f'{base64.b64encode(png).decode("ascii")}"><figcaption>{html.escape(alt)}</figcaption></figure>'
                for _, png, alt in block.items
            )
            parts.append(f'<div class="plots">{images}</div>')
    template = Template(resources.files("khitab.evaluation").joinpath("report_template.html").read_text("utf-8"))
    return template.substitute(title=html.escape(title), body="\n".join(parts))


def _html_cell(cell: str | Marked) -> str:
    if isinstance(cell, Marked):
        return "".join(f"<mark>{html.escape(p)}</mark>" if m else html.escape(p) for p, m in cell.pieces)
    return html.escape(cell)


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def _md_cell(cell: str | Marked) -> str:
    if isinstance(cell, Marked):  # pieces are already one-line
        return "".join(f"**{_md_escape(p.strip())}**" if m else _md_escape(p) for p, m in cell.pieces)
    return _md_escape(" ".join(cell.split())) or " "


def render_markdown(blocks: Sequence[Block], plots_dir: str = "plots") -> str:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Para):
            lines += [block.text, ""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
            lines.append("|" + "|".join("---" for _ in block.headers) + "|")
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Images):
            lines += [f"![{alt}]({plots_dir}/{file})" for file, _, alt in block.items]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_reports(
    directory: Path, metrics: dict, scored: Mapping[str, Any], other_scored: Mapping[str, Any], top_k: int = 10,
    error_cues: Mapping[str, Mapping] | None = None,
) -> list[Path]:
    """Write report.html, report.md and plots/*.png into ``directory``; ``error_cues``
    (dataset -> (row, label column) -> cue spans) marks the error lists' cue words."""
    blocks = build_blocks(metrics, scored, other_scored, top_k, error_cues)
    plots = directory / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    for block in blocks:
        if isinstance(block, Images):
            for file, png, _ in block.items:
                (plots / file).write_bytes(png)
    title = f"Evaluation of {metrics['model']['name']}"
    (directory / "report.html").write_text(render_html(blocks, title), encoding="utf-8")
    (directory / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    return [directory / "report.html", directory / "report.md", plots]


def summary_text(metrics: dict) -> str:
    """A short plain-text table for the terminal: one line per dataset and label."""
    header = ("dataset", "label", "n", "pos", "P", "R", "F1 [95% CI]", "PR-AUC", "ECE", "thr")
    rows = [header]
    for name, d in metrics["datasets"].items():
        for label, m in d["labels"].items():
            ci = m.get("f1_ci")
            f1 = f"{m['f1']:.3f}" + (f" [{ci[0]:.2f},{ci[1]:.2f}]" if ci else "")
            rows.append((name, label, str(m["n"]), str(m["n_pos"]), num(m["precision"]), num(m["recall"]), f1,
                         num(m["pr_auc"]), num(m["ece"]), num(m["threshold"], 2)))
        rows.append((name, "(macro/micro F1)", str(d["n"]), "", "", "", f"{num(d['macro_f1'])} / {num(d['micro_f1'])}",
                     "", "", ""))
    widths = [max(len(r[k]) for r in rows) for k in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
