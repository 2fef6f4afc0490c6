#!/bin/sh
# The SIGKILL crash test, long: hundreds of kills on one project file (make test runs 30).
#   bench/kill_long.sh [RUNS] [SEED]      e.g. bench/kill_long.sh 1000 7
# A failure names the run, the seed and how the process was killed; KILL_SEED=SEED reruns it.
cd "$(dirname "$0")/.." || exit 1
KILL_RUNS="${1:-500}" KILL_SEED="${2:-$(date +%s)}" QT_QPA_PLATFORM=offscreen \
    exec .venv/bin/python -m pytest -q -s -p no:cacheprovider \
    "tests/models/test_kill.py::test_sigkill_at_random_moments_loses_no_reported_edit_and_half_applies_none"
