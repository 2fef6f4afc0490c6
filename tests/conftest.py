"""Shared fixtures: every test gets its own settings, data directory and project file."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the user's settings or data directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()


# Hypothesis profiles for the offset fuzz tests (issue 5). "bounded" (the default, make test):
# few examples, derandomized so every run tries the same texts; HYPOTHESIS_PROFILE=long (see
# bench/fuzz_long.sh): thousands of random examples per property.
from hypothesis import HealthCheck, settings  # noqa: E402

_FUZZ_HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                HealthCheck.filter_too_much, HealthCheck.data_too_large]
settings.register_profile("bounded", max_examples=60, deadline=None, derandomize=True,
                          database=None, print_blob=True, suppress_health_check=_FUZZ_HEALTH)
settings.register_profile("long", max_examples=3000, deadline=None, database=None,
                          print_blob=True, suppress_health_check=_FUZZ_HEALTH)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))
