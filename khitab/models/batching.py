"""Inference over length-sorted batches: little padding, results in input order."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch


def length_sorted_forward(
    tokenizer, encoded: dict[str, list[list[int]]], batch_size: int, width: int,
    forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
) -> np.ndarray:
    """Run ``forward`` (a padded batch -> a (batch, width) tensor) over batches of similar
    length; row ``i`` of the result belongs to input ``i``."""
    ids = encoded["input_ids"]
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), width), dtype=np.float32)
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            chunk = order[begin:begin + batch_size]
            batch = tokenizer.pad({key: [encoded[key][i] for i in chunk] for key in encoded}, return_tensors="pt")
            out[chunk] = forward(batch).float().cpu().numpy()
    return out
