"""The on-disk model bundle, whatever its kind: one folder per model.

    bundle.json      format, kind, name, labels, thresholds, temperature, metadata
    MODEL_CARD.md    what the model is for, its data, its measured quality
    <kind files>     weights (safetensors / NPZ) and tokenizer or vectorizer (JSON)

Loading reads JSON, NPZ (``allow_pickle=False``) and safetensors only: a bundle cannot run
code. This module knows no model kind (``khitab.models.bundle.load_model`` picks the class), so
a kind that holds other bundles (the ensemble) can write and read them without a cycle.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from khitab.errors import BundleError
from khitab.io import atomic_dir
from khitab.models.base import SentenceClassifier

FORMAT = "khitab-bundle"
FORMAT_VERSION = 1
MANIFEST = "bundle.json"
CARD = "MODEL_CARD.md"


def save_bundle(model: SentenceClassifier, directory: Path, card: str = "") -> Path:
    """Write ``model`` to ``directory`` atomically: a save killed at any moment leaves the old
    bundle or the new one, complete (``khitab.io.atomic_dir``)."""
    directory = Path(directory)
    with atomic_dir(directory) as staging:
        files = model.save_weights(staging)
        metadata = dict(model.metadata)
        metadata.setdefault("created", datetime.now(timezone.utc).isoformat(timespec="seconds"))
        metadata["version"] = _weights_digest(staging)
        model.metadata = metadata
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": model.kind,
            "name": model.name,
            "labels": list(model.labels),
            "thresholds": {k: float(v) for k, v in model.thresholds.items()},
            "temperature": {k: float(v) for k, v in model.temperature.items()},
            "metadata": metadata,
            **files,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        (staging / CARD).write_text(card or default_card(model), encoding="utf-8")
    return directory


def read_manifest(directory: Path) -> dict[str, Any]:
    """The bundle's ``bundle.json``, checked to be this format and version."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{directory / MANIFEST}: unreadable manifest: {exc}") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{directory / MANIFEST}: not a {FORMAT} v{FORMAT_VERSION} manifest")
    return manifest


def _weights_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(file.relative_to(directory).as_posix().encode())
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:12]


def copy_bundle(source: Path, target: Path) -> Path:
    """A copy of the bundle ``source`` at ``target``, which must not exist yet."""
    source, target = Path(source), Path(target)
    if not (source / MANIFEST).is_file():
        raise BundleError(f"{source}: not a khitab bundle ({MANIFEST} missing)")
    if target.exists():
        raise BundleError(f"{target}: already exists; give a new folder")
    with atomic_dir(target) as staging:  # a killed copy leaves no half bundle at target
        shutil.copytree(source, staging, dirs_exist_ok=True)
    return target


def kept_card(directory: Path, model: SentenceClassifier) -> str:
    """The card to write back when ``model`` (as loaded from ``directory``) is saved there again:
    a hand-written card is kept, a generated one ("") is regenerated with the new numbers."""
    path = Path(directory) / CARD
    card = path.read_text(encoding="utf-8") if path.is_file() else ""
    return card if card and card != default_card(model) else ""


def default_card(model: SentenceClassifier) -> str:
    meta = model.metadata
    lines = [
        f"# {model.name}",
        "",
        f"Kind: `{model.kind}`. Version: `{meta.get('version', '')}`. Created: {meta.get('created', '')}.",
        "",
        "Scores Arabic sentences for: " + ", ".join(f"`{label}`" for label in model.labels) + ".",
        "Intended use: triage support for analysts and trust-and-safety review of Arabic text;",
        "a flag is evidence for a human decision, not a verdict. Definitions: configs/labels.yaml.",
        "",
        "## Thresholds",
        "",
        *(f"- {label}: {model.thresholds.get(label, 0.5):.3f}" for label in model.labels),
    ]
    for key, heading in (("training", "Training"), ("metrics", "Measured quality")):
        if meta.get(key):
            lines += ["", f"## {heading}", "", "```json", json.dumps(meta[key], ensure_ascii=False, indent=2), "```"]
    return "\n".join(lines) + "\n"
