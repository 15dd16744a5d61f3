"""Serves the fake model (tests/fakes.py) with ``create_app`` on uvicorn, a real server process:
    python tests/serving/fake_server.py --port 8123 [--max-texts 8]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from khitab.serving.app import create_app, serve  # noqa: E402
from khitab.serving.runtime import ServiceLimits  # noqa: E402
from tests.fakes import fake_model  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--policy", default=None)
    parser.add_argument("--max-texts", type=int, default=8)
    args = parser.parse_args(argv)
    app = create_app(fake_model(), args.policy, ServiceLimits(max_texts=args.max_texts))
    serve(app, "127.0.0.1", args.port, shutdown_timeout=20, log_level="info", access_log=False)


if __name__ == "__main__":
    main()
