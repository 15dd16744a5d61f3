"""The HTML report in a real headless Chromium: the plots must render (not just be in the file)."""
import re
import shutil
import subprocess

import numpy as np
import pytest

from khitab.evaluation.datasets import read_eval_file
from khitab.evaluation.evaluate import evaluate
from khitab.evaluation.plots import LABEL_COLORS
from khitab.models.bundle import load_model

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian package 'chromium'; .ci/run installs it)"
)


def screenshot(page, png, profile) -> np.ndarray:
    from PIL import Image

    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--force-device-scale-factor=1", f"--user-data-dir={profile}", f"--screenshot={png}",
         "--window-size=1200,2400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def pixels_near(image: np.ndarray, hex_color: str, tolerance: int = 40) -> int:
    rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image - rgb).sum(axis=2) <= tolerance).sum())


def test_plots_render_in_headless_chromium(tiny_bundle, tmp_path, eval_file):
    model = load_model(tiny_bundle)
    evaluate(model, [read_eval_file(eval_file, model.labels)], resamples=50, output_dir=tmp_path / "out", top_k=2)
    page = tmp_path / "out" / "report.html"
    image = screenshot(page, tmp_path / "report.png", tmp_path / "profile")
    assert image.shape[:2] == (2400, 1200)
    assert (image.sum(axis=2) < 600).mean() > 0.02  # not a blank page
    counts = {label: pixels_near(image, color) for label, color in zip(model.labels, LABEL_COLORS)}
    # every label's curve colour is drawn in the PR, reliability and sweep plots
    assert all(n > 500 for n in counts.values()), counts

    # control: the same page without its images shows none of those colours, so the pixels
    # counted above come from rendered plots, not from the page's text or tables
    bare = tmp_path / "out" / "bare.html"
    bare.write_text(re.sub(r'src="data:image/png;base64,[^"]*"', 'src=""', page.read_text("utf-8")), "utf-8")
    control = screenshot(bare, tmp_path / "bare.png", tmp_path / "profile2")
    assert all(pixels_near(control, color) < 20 for color in LABEL_COLORS[: len(model.labels)])
