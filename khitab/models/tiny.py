"""A tiny BERT (2 layers, hidden 64) with a WordPiece vocabulary built from our own corpus:
the whole encoder path (train, save, load, score, evaluate) in seconds, for tests and CI.

The vocabulary is counted here rather than by ``tokenizers``' trainer, whose tie-breaking
varies between runs: the same corpus must give the same tokenizer, or resumed and repeated
trainings could not match.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

TINY_NAME = "tiny"
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def wordpiece_vocab(texts: Sequence[str], size: int) -> list[str]:
    """Specials, every character (word-initial and ``##`` continuation), then the most
    frequent whole words and word-initial / word-final pieces (clitics, suffixes), ties
    broken alphabetically."""
    from tokenizers import pre_tokenizers

    split = pre_tokenizers.BertPreTokenizer()
    words = Counter(
        word for text in texts for word, _ in split.pre_tokenize_str(unicodedata.normalize("NFKC", text))
    )
    chars = sorted({ch for word in words for ch in word})
    pieces: Counter[str] = Counter()
    for word, count in words.items():
        for k in range(2, min(5, len(word))):
            pieces[word[:k]] += count
            pieces["##" + word[-k:]] += count
    vocab = SPECIAL + chars + ["##" + ch for ch in chars]
    budget = max(size - len(vocab), 0)
    ranked_words = [w for w, _ in sorted(words.items(), key=lambda item: (-item[1], item[0])) if len(w) > 1]
    ranked_pieces = [p for p, _ in sorted(pieces.items(), key=lambda item: (-item[1], item[0]))]
    seen = set(vocab)
    for token in _interleave(ranked_words, ranked_pieces):
        if len(vocab) - len(SPECIAL) - 2 * len(chars) >= budget:
            break
        if token not in seen:
            seen.add(token)
            vocab.append(token)
    return vocab


def _interleave(first: list[str], second: list[str]):
    for i in range(max(len(first), len(second))):
        if i < len(first):
            yield first[i]
        if i < len(second):
            yield second[i]


TINY_ARCHITECTURE = {
    "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128,
    "max_position_embeddings": 128,
}


def build_tiny_encoder(texts: Sequence[str], directory: Path, vocab_size: int = 4000, seed: int = 0) -> Path:
    """Save a WordPiece tokenizer built from ``texts`` and a randomly initialised 2-layer
    BERT into ``directory``; returns ``directory``."""
    return build_random_encoder(texts, directory, vocab_size, seed, TINY_ARCHITECTURE)


def build_random_encoder(
    texts: Sequence[str], directory: Path, vocab_size: int, seed: int, architecture: dict
) -> Path:
    """A randomly initialised BERT of any ``architecture`` (BertConfig fields; the defaults are
    BERT-base, AraBERT v2's shape) with a WordPiece vocabulary built from ``texts``: for speed
    measurements, random weights cost the same as trained ones."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(wordpiece_vocab(texts, vocab_size))}
    tokenizer = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
        model_max_length=min(config_max_positions(architecture), 512),
    )
    config = BertConfig(vocab_size=max(len(vocab), architecture.get("vocab_size", 0)), pad_token_id=0,
                        **{k: v for k, v in architecture.items() if k != "vocab_size"})
    torch.manual_seed(seed)
    directory = Path(directory)
    BertModel(config).save_pretrained(directory)
    fast.save_pretrained(directory)
    return directory


def config_max_positions(architecture: dict) -> int:
    return int(architecture.get("max_position_embeddings", 512))
