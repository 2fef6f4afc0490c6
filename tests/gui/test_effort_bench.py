"""bench/bench_effort.py on a small corpus: both scripted annotators (without and with issue
11's features) drive the real window to exactly the gold — spans, labels, sources, statuses and
entity grouping compared with the project file — and the features save key presses."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_both_paths_reach_the_gold_and_the_features_save_keys(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_effort.py"), "--docs", "12"],
                         capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr[-3000:]
    assert out.count("result equals the gold exactly") == 2, out
    assert "not as expected" not in out and "error box" not in out, out
    total = re.search(r"\| \*\*total\*\* \| \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|", out)
    without, with_ = int(total[1]), int(total[2])
    assert without > 0 and with_ < without, out
    used = re.search(r"with the features, used: (.*)", out)[1]
    assert "checker fix" in used and "patterns from the project" in used, used
