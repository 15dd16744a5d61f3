"""A reviewer in a separate process (for test_reliability): takes the next item of its queue,
judges every label it asks about, one verdict per transaction, and prints ``ack <verdict_id>
<item_id> <label>`` once the store acknowledged it; runs until the queue is empty.

    python tests/review/verdict_writer.py SQLALCHEMY_URL REVIEWER
"""
import sys

from khitab.review import ReviewStore, next_items, record_verdicts


def main(url: str, reviewer: str) -> None:
    store = ReviewStore(url)
    while True:
        items = next_items(store, reviewer, limit=1)
        if not items:
            break
        item = items[0]
        for label in item.asks:
            if label in item.judged:
                continue
            verdict = "confirm" if label in item.flagged else "reject"
            (verdict_id,) = record_verdicts(store, [
                {"item_id": item.item_id, "label": label, "verdict": verdict, "reviewer": reviewer}
            ])
            print(f"ack {verdict_id} {item.item_id} {label}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
