"""khitab.io: crash-safe files and folders, and the one JSONL reader.

The crash test kills a real ``save_bundle`` with SIGKILL between the steps of the folder swap.
Its test hook lives here, in the child script below, not in the product: the child wraps
``os.rename`` (each swap step is one rename) and ``os.unlink`` (removing the old folder) so
that it SIGKILLs itself right before or after the step named on its command line.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from khitab.io import LineError, aside_path, atomic_dir, atomic_file, iter_jsonl, write_bytes_atomic
from khitab.models.bundle import copy_bundle, load_model, save_bundle

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import os, signal, sys
from pathlib import Path
from khitab.models.bundle import load_model, save_bundle

target, kill_at = Path(sys.argv[1]), sys.argv[2]
model = load_model(target)
model.name = "new"
real_rename, real_unlink = os.rename, os.unlink
renames = 0

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def rename(src, dst, *args, **kwargs):
    global renames
    renames += 1
    if kill_at == f"before-rename-{renames}":
        die()
    real_rename(src, dst, *args, **kwargs)
    if kill_at == f"after-rename-{renames}":
        die()
    if renames == 2 and kill_at == "removing-old":
        os.unlink = unlink  # armed only once the new folder is in place

def unlink(path, *args, **kwargs):
    real_unlink(path, *args, **kwargs)
    die()  # one file of the old folder removed, the rest still there

os.rename = rename
save_bundle(model, target)
print("finished")
"""

# kill point -> the bundle a reader must find afterwards
KILL_POINTS = {
    "before-rename-1": "old",  # new folder staged, nothing moved
    "after-rename-1": "old",  # old folder set aside, no bundle at the target
    "after-rename-2": "new",  # new folder in place, old one still aside
    "removing-old": "new",  # old folder half removed
}


@pytest.mark.parametrize("kill_at, survivor", KILL_POINTS.items())
def test_a_save_killed_at_any_step_leaves_a_loadable_bundle(tiny_bundle, tmp_path, kill_at, survivor):
    target = copy_bundle(tiny_bundle, tmp_path / "bundle")
    old_name = load_model(target).name
    child = subprocess.run([sys.executable, "-c", CHILD, str(target), kill_at], capture_output=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    assert b"finished" not in child.stdout
    # the state the kill left: the old folder aside, with or without the new one in place
    assert aside_path(target).is_dir() == (kill_at != "before-rename-1")
    assert target.exists() == (kill_at != "after-rename-1")

    model = load_model(target)
    assert model.name == (old_name if survivor == "old" else "new")
    assert not aside_path(target).exists()
    model.name = "again"
    assert load_model(save_bundle(model, target)).name == "again"
    # a killed writer's staging folder may stay (an hour, as a live writer's would): nothing else
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".bundle.tmp-"))
    assert left == ["bundle"]


def test_atomic_dir_replaces_a_folder_and_a_failure_keeps_the_old_one(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as staging:
        (staging / "a.txt").write_text("one", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_dir(target) as staging:
        (staging / "a.txt").write_text("two", encoding="utf-8")
        raise RuntimeError("killed halfway")
    assert (target / "a.txt").read_text(encoding="utf-8") == "one"
    with atomic_dir(target) as staging:
        (staging / "b.txt").write_text("three", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_dir_keep_existing_keeps_a_folder_another_writer_finished(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target, keep_existing=True) as staging:
        (staging / "mine.txt").write_text("late", encoding="utf-8")
        target.mkdir()
        (target / "theirs.txt").write_text("first", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_atomic_file_writes_whole_files_only(tmp_path):
    path = tmp_path / "sub" / "f.json"
    write_bytes_atomic(path, b"{}")
    with pytest.raises(ValueError), atomic_file(path) as tmp:
        tmp.write_bytes(b"{half")
        raise ValueError("failed")
    assert path.read_bytes() == b"{}"
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.json"]


def test_iter_jsonl_yields_every_line_or_why_it_is_not_json(tmp_path):
    path = tmp_path / "rows.jsonl"
    lines = [
        "\ufeff" + json.dumps({"a": 1}),
        "",
        "{oops",
        json.dumps({"text": "سطر\u2028فيه فاصل"}, ensure_ascii=False),  # a Unicode line separator is data
        "[1, 2]",
    ]
    path.write_bytes("\r\n".join(lines).encode("utf-8") + b"\n" + b'{"b": "\xff"}\n')
    got = list(iter_jsonl(path))
    assert [n for n, _ in got] == [1, 3, 4, 5, 6]
    assert got[0][1] == {"a": 1}
    assert got[1][1] == LineError("invalid JSON: Expecting property name enclosed in double quotes")
    assert got[2][1] == {"text": "سطر\u2028فيه فاصل"}
    assert got[3][1] == [1, 2]
    error = got[4][1]
    assert error.reason == "invalid UTF-8 at byte 7 of the line" and error.byte == 7
    assert path.read_bytes()[error.file_byte] == 0xFF
