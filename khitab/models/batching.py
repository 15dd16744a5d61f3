"""Token-budget batching: length-sorted batches, padded to their longest sequence."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def plan_batches(lengths: Sequence[int], max_tokens: int, max_batch: int) -> list[np.ndarray]:
    """Index batches over ``lengths`` sorted by length: each batch pads to its longest
    sequence, holds at most ``max_batch`` sequences and ``max_tokens`` padded tokens."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    begin = 0
    while begin < len(order):
        end = begin + 1
        while end < len(order) and end - begin < max_batch and (end - begin + 1) * lengths[order[end]] <= max_tokens:
            end += 1
        batches.append(order[begin:end])
        begin = end
    return batches


def pad_batch(ids: Sequence[Sequence[int]], input_names: Sequence[str], pad_id: int,
              left: bool = False) -> dict[str, np.ndarray]:
    """Dynamic padding to the longest sequence of the batch; numpy, int64."""
    width = max(len(x) for x in ids)
    input_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for i, seq in enumerate(ids):
        if left:
            input_ids[i, width - len(seq):] = seq
            mask[i, width - len(seq):] = 1
        else:
            input_ids[i, :len(seq)] = seq
            mask[i, :len(seq)] = 1
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if "token_type_ids" in input_names:
        batch["token_type_ids"] = np.zeros_like(input_ids)  # single sequences: segment 0
    return batch
