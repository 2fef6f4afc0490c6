#!/bin/sh
# The offset fuzz tests of issue 5 with thousands of random examples each (HYPOTHESIS_PROFILE=long,
# see tests/conftest.py) instead of make test's bounded, derandomized few. New random texts every
# run; a failure prints the smallest example and a @reproduce_failure line. ~10-20 min on 2 cores.
#   bench/fuzz_long.sh                    # all of them
#   bench/fuzz_long.sh -k selection      # extra pytest arguments
set -e
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
HYPOTHESIS_PROFILE=long QT_QPA_PLATFORM=offscreen exec "$PY" -m pytest -q -p no:cacheprovider \
    --hypothesis-show-statistics \
    tests/models/test_graphemes_fuzz.py tests/gui/test_offsets_fuzz.py tests/gui/test_selection_fuzz.py "$@"
