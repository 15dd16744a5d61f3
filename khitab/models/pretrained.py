"""Finding pretrained encoder weights offline-first: a local folder, the bundled e5-small,
the project's tiny test encoder, or a Hugging Face hub name already in the local cache."""
from __future__ import annotations

import os
from pathlib import Path

E5_NAMES = {"e5-small", "intfloat/multilingual-e5-small"}


class PretrainedNotFound(FileNotFoundError):
    """The weights are neither a local folder nor cached, and the hub cannot be reached."""


def resolve_pretrained(name: str) -> str:
    """A local folder holding the encoder named ``name`` (downloading only if allowed)."""
    if Path(name).is_dir():
        return str(Path(name))
    if name in E5_NAMES:
        from khitab.assets.materialize import materialize_e5_small

        return str(materialize_e5_small())
    return _hub_snapshot(name)


def _hub_snapshot(name: str) -> str:
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.txt", "*.safetensors", "*.model"]
    try:
        return snapshot_download(name, local_files_only=True, allow_patterns=patterns)
    except Exception:  # noqa: BLE001 - any miss in the cache means: try the hub, then explain
        pass
    if os.environ.get("HF_HUB_OFFLINE") not in (None, "", "0"):
        raise PretrainedNotFound(_how_to_fix(name, "HF_HUB_OFFLINE is set"))
    try:
        return snapshot_download(name, allow_patterns=patterns, etag_timeout=10)
    except Exception as exc:  # noqa: BLE001 - network and auth errors look alike here
        raise PretrainedNotFound(_how_to_fix(name, f"{type(exc).__name__}")) from exc


def _how_to_fix(name: str, why: str) -> str:
    return (
        f"encoder {name!r} is not a local folder and not in the Hugging Face cache, and the hub "
        f"is unreachable ({why}). On a machine with network run "
        f"`huggingface-cli download {name} --local-dir /path/to/{name.split('/')[-1]}`, copy the "
        f"folder here and set `model.pretrained: /path/to/{name.split('/')[-1]}` "
        f"(or `--set model.pretrained=/path/...`)."
    )
