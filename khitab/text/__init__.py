"""Arabic text handling: normalization, sentence splitting, language checks."""
from khitab.text.clean import clean_social
from khitab.text.language import arabic_ratio, is_arabic
from khitab.text.normalize import ARABERT_V2, ArabertNormalizer, fold_orthography
from khitab.text.split import Span, split_sentences

__all__ = [
    "ARABERT_V2",
    "ArabertNormalizer",
    "Span",
    "arabic_ratio",
    "clean_social",
    "fold_orthography",
    "is_arabic",
    "split_sentences",
]
