#!/usr/bin/env python3
"""The dependency lock and the drift report (stdlib only; run with any Python 3).

  python3 scripts/deps.py lock     install the newest versions pyproject.toml allows into a
                                   scratch venv, run the test suite there, and on success write
                                   requirements.lock (every package, pinned) from that venv
  python3 scripts/deps.py report   the same install and test run, written as a report: which
                                   packages moved against requirements.lock and what broke;
                                   exits 0 whatever it finds (CI runs it for information)
  PYTHON scripts/deps.py check     PYTHON's installed packages (torch and khitab aside) are all
                                   in requirements.lock (scripts/bootstrap runs it with .venv)

torch is held at KHITAB_TORCH (default torch==2.13.0, the CPU wheel on local disk) in both: a
newer torch means a multi-GB CUDA download, and the lock leaves torch to scripts/bootstrap.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
TORCH_SPEC = os.environ.get("KHITAB_TORCH", "torch==2.13.0")
# torch comes from KHITAB_TORCH; khitab itself is the project
UNLOCKED = {"torch", "khitab"}
HEADER = (
    "# The whole dependency set the test suite passed with (python {py}), installed by\n"
    "# scripts/bootstrap as constraints; torch is pinned there (KHITAB_TORCH).\n"
    "# Refresh to the newest versions that pass: python3 scripts/deps.py lock\n"
)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonical(name.split("[")[0])] = version.strip()
    return pins


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, **kwargs)


def newest_venv(where: Path) -> tuple[Path, dict[str, str]]:
    """A venv with torch at TORCH_SPEC and everything else at the newest allowed version."""
    run([sys.executable, "-m", "venv", str(where)], check=True)
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check"]
    run(pip + ["install", TORCH_SPEC], check=True)
    run(pip + ["install", "-e", f"{ROOT}[dev]"], check=True)
    return python, installed_pins(str(python))


def run_tests(python: Path) -> tuple[int, str]:
    proc = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "--tb=line"],
               cwd=ROOT, capture_output=True, text=True)
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
    return proc.returncode, tail


def moved(locked: dict[str, str], newest: dict[str, str]) -> list[str]:
    lines = []
    for name in sorted(set(locked) | set(newest)):
        old, new = locked.get(name), newest.get(name)
        if old != new:
            lines.append(f"  {name}: {old or '(not in lock)'} -> {new or '(gone)'}")
    return lines


def installed_pins(python: str) -> dict[str, str]:
    frozen = subprocess.run([python, "-m", "pip", "freeze", "--exclude-editable"], check=True,
                            capture_output=True, text=True).stdout
    return {k: v for k, v in read_pins(frozen).items() if k not in UNLOCKED}


def check() -> int:
    """Every installed package is a locked one: a dependency the lock does not know would have
    been resolved to whatever is newest today."""
    locked = read_pins(LOCK.read_text(encoding="utf-8"))
    extra = {k: v for k, v in installed_pins(sys.executable).items() if k not in locked}
    if extra:
        print("installed packages missing from requirements.lock: "
              + ", ".join(f"{k}=={v}" for k, v in sorted(extra.items()))
              + "; refresh the lock with: python3 scripts/deps.py lock", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if argv == ["check"]:
        return check()
    if len(argv) != 1 or argv[0] not in ("lock", "report"):
        print(__doc__)
        return 2
    mode = argv[0]
    scratch = Path(tempfile.mkdtemp(prefix="khitab-deps-"))
    try:
        python, newest = newest_venv(scratch / "venv")
        locked = read_pins(LOCK.read_text(encoding="utf-8")) if LOCK.is_file() else {}
        changes = moved(locked, newest)
        if mode == "report" and not changes:
            # the newest allowed set IS the lock, which the suite has just passed on: a second run
            # of the same versions would only double CI time
            print(f"\n=== dependency drift against {LOCK.name} (torch held at {TORCH_SPEC}) ===")
            print("  nothing moved: the lock is the newest allowed set (tests: the locked run covers it)")
            shutil.rmtree(scratch, ignore_errors=True)
            return 0
        code, tail = run_tests(python)
    except subprocess.CalledProcessError as exc:
        print(f"=== the newest allowed versions do not install: {exc} ===")
        shutil.rmtree(scratch, ignore_errors=True)
        return 0 if mode == "report" else 1
    print(f"\n=== dependency drift against {LOCK.name} (torch held at {TORCH_SPEC}) ===")
    print("\n".join(changes) if changes else "  nothing moved: the lock is the newest allowed set")
    print(f"=== test suite on the newest allowed versions: {'passed' if code == 0 else f'FAILED (exit {code})'} ===")
    print(tail)
    shutil.rmtree(scratch, ignore_errors=True)
    if mode == "report":
        return 0
    if code != 0:
        print("not writing the lock: the newest versions fail the tests (pin the culprit in pyproject.toml)")
        return 1
    py = ".".join(map(str, sys.version_info[:2]))
    body = "".join(f"{name}=={version}\n" for name, version in sorted(newest.items()))
    LOCK.write_text(HEADER.format(py=py) + body, encoding="utf-8")
    print(f"wrote {LOCK} ({len(newest)} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
