"""An exact shortcut for BERT sequence classifiers: the last layer for the [CLS] position only.

A BERT classifier reads one vector: the last layer's output at position 0 (pooler, then
classifier). Every other position of the last layer (its query, attention output and
feed-forward, about 10/12 of that layer's matrix work) is computed and thrown away. Here
layers 1..L-1 run as usual and the last layer computes its keys and values for all
positions but its query, attention output and feed-forward for [CLS] alone: the same
function (results equal up to float rounding), 1/L less work (8 % for 12 layers).

Used by the torch and ONNX backends for ``BertForSequenceClassification`` models (BERT,
AraBERT, e5, the tiny test encoder); anything else runs the model's own forward.
"""
from __future__ import annotations

import logging

import torch
from torch import nn

log = logging.getLogger(__name__)


def _public_mask_builder():
    """transformers' public bidirectional mask builder (``masking_utils``, transformers >= 5),
    or None where this version has none: the shortcut then steps aside."""
    try:
        from transformers.masking_utils import create_bidirectional_mask
    except ImportError:
        return None
    return create_bidirectional_mask


def shortcut_available() -> bool:
    return _public_mask_builder() is not None


def supports_cls_shortcut(model) -> bool:
    try:
        from transformers import BertForSequenceClassification
    except ImportError:  # pragma: no cover
        return False
    if type(model) is not BertForSequenceClassification:  # adapters and subclasses: own forward
        return False
    config = model.config
    return (
        not config.is_decoder
        and not getattr(config, "add_cross_attention", False)
        and not getattr(config, "chunk_size_feed_forward", 0)
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and model.bert.pooler is not None
    )


class ClsOnlyLastLayer(nn.Module):
    """``forward(input_ids, attention_mask, token_type_ids=None) -> logits`` of a
    ``BertForSequenceClassification``, with the last layer restricted to [CLS]."""

    def __init__(self, model):
        super().__init__()
        self.bert = model.bert
        self.classifier = model.classifier
        self.config = model.config
        self.mask_builder = _public_mask_builder()  # resolved once, not per forward

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        bert = self.bert
        hidden = bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
        layer_mask, last_mask = self._masks(attention_mask, hidden)
        layers = bert.encoder.layer
        for layer in layers[:-1]:
            hidden = layer(hidden, attention_mask=layer_mask)
        last = layers[-1]
        attention = last.attention.self
        batch, length, _ = hidden.shape
        heads, size = attention.num_attention_heads, attention.attention_head_size
        cls = hidden[:, :1]
        query = attention.query(cls).view(batch, 1, heads, size).transpose(1, 2)
        key = attention.key(hidden).view(batch, length, heads, size).transpose(1, 2)
        value = attention.value(hidden).view(batch, length, heads, size).transpose(1, 2)
        scores = torch.matmul(query, key.transpose(2, 3)) * attention.scaling
        if last_mask is not None:
            scores = scores + last_mask
        context = torch.matmul(torch.softmax(scores, dim=-1), value)
        context = context.transpose(1, 2).reshape(batch, 1, heads * size)
        attended = last.attention.output(context, cls)
        out = last.output(last.intermediate(attended), attended)
        return self.classifier(bert.pooler(out))

    def _masks(self, attention_mask: torch.Tensor, hidden: torch.Tensor):
        """The mask the model's own layers expect (built by transformers' public mask builder,
        as the model's forward builds it, so that graph optimisers recognise it) and an
        additive one for the [CLS] query of the last layer."""
        dtype = hidden.dtype
        mask = self.mask_builder(config=self.config, inputs_embeds=hidden, attention_mask=attention_mask)
        if mask is None:
            return None, None
        last = mask[:, :, :1, :]
        if last.dtype == torch.bool:  # True = attend
            last = torch.zeros_like(last, dtype=dtype).masked_fill(~last, torch.finfo(dtype).min)
        return mask, last


class LogitsOnly(nn.Module):
    """The model's own forward, returning the logits tensor (for export)."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.config = model.config

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **kwargs).logits


def fast_module(model, shortcut: bool = True) -> nn.Module:
    """The module the backends run: the shortcut where it applies, else the model itself
    (wrapped to return logits). A transformers without the public mask builder gets the
    model's own forward and one warning line."""
    if shortcut and supports_cls_shortcut(model):
        if shortcut_available():
            return ClsOnlyLastLayer(model).eval()
        log.warning("khitab: this transformers has no public masking_utils.create_bidirectional_mask; "
                    "running the model's own forward (same results, about 8 % slower)")
    return LogitsOnly(model).eval()
