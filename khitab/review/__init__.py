"""The review loop: flagged sentences queued in a database, reviewers' verdicts recorded
beside them, and the verdicts exported back as labeled data (or exchanged with Label Studio).

Layer: beside ``khitab.moderation`` (imports text, data, models, moderation; never serving or
the CLI). The HTTP routes and CLI commands are thin wrappers over these functions.
"""
from khitab.review.exchange import (
    EXPORT_FORMATS,
    LabelStudioError,
    export_label_studio,
    export_labeled,
    import_label_studio,
)
from khitab.review.queue import (
    MARGIN,
    ReviewItem,
    VerdictError,
    VerdictIn,
    asked_labels,
    enqueue_decisions,
    items_from_decision,
    new_item,
    next_items,
    parse_verdict_body,
    record_verdicts,
    verdict_history,
)
from khitab.review.stats import stats
from khitab.review.store import VERDICTS, NewItem, ReviewStore
from khitab.review.web import page_file

__all__ = [
    "ReviewItem",
    "EXPORT_FORMATS", "LabelStudioError", "MARGIN", "NewItem", "ReviewStore", "VERDICTS", "VerdictError",
    "VerdictIn", "asked_labels", "enqueue_decisions", "export_label_studio", "export_labeled",
    "import_label_studio", "items_from_decision", "new_item", "next_items", "page_file", "parse_verdict_body",
    "record_verdicts", "stats", "verdict_history",
]
