"""Loading a model: a khitab bundle of any kind, or a plain Hugging Face classifier folder.

The bundle format itself (``bundle.json``, the card, atomic saves) is ``khitab.models.manifest``;
its names are re-exported here, where callers have always found them.
"""
from __future__ import annotations

from pathlib import Path

from khitab.errors import BundleError
from khitab.io import recover_dir
from khitab.models.base import SentenceClassifier
from khitab.models.manifest import (
    CARD,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    copy_bundle,
    default_card,
    kept_card,
    read_manifest,
    save_bundle,
)

__all__ = [
    "CARD", "FORMAT", "FORMAT_VERSION", "MANIFEST", "BundleError", "copy_bundle", "default_card", "kept_card",
    "load_model", "read_manifest", "save_bundle",
]


def load_model(path: Path | str, labels: list[str] | None = None) -> SentenceClassifier:
    """Load a bundle (or a plain Hugging Face classifier folder).

    With ``labels``, the model must score exactly those labels, in any order.
    """
    directory = Path(path)
    recover_dir(directory)  # a save killed mid-swap leaves the last complete bundle aside
    if not directory.exists():
        raise BundleError(f"{directory}: model not found")
    if not directory.is_dir():
        raise BundleError(f"{directory}: a model is a folder (a bundle or a Hugging Face model)")
    if (directory / MANIFEST).is_file():
        model = _load_bundle(directory)
    elif (directory / "config.json").is_file():
        from khitab.models.encoder import EncoderClassifier  # start-up speed, as in _load_bundle

        model = EncoderClassifier.from_hf_directory(directory)
    else:
        raise BundleError(f"{directory}: neither a khitab bundle ({MANIFEST}) nor a Hugging Face model (config.json)")
    if labels is not None and sorted(labels) != sorted(model.labels):
        raise BundleError(
            f"{directory}: model labels {model.labels} differ from configured labels {list(labels)}; "
            "retrain it with the current configs/labels.yaml"
        )
    return model


def _load_bundle(directory: Path) -> SentenceClassifier:
    # Imported here, not at the top: the kinds bring torch and transformers, and ``import
    # khitab`` (the command line's start-up, e.g. ``khitab --help``) should not pay for them.
    from khitab.models.kinds import MODEL_KINDS

    manifest = read_manifest(directory)
    kind = manifest.get("kind")
    model_class = MODEL_KINDS.get(kind)
    if model_class is None:
        raise BundleError(f"{directory / MANIFEST}: unknown model kind {kind!r}")
    return model_class.load(directory, manifest, load_bundle=load_model)
