"""Shared fixtures for the no-Qt model tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from models.store import Store

from .helpers import MODEL


@pytest.fixture
def project(tmp_path) -> Path:
    return tmp_path / "project.annot"


@pytest.fixture
def store(project):
    s = Store(project)
    yield s
    s.close()


@pytest.fixture(scope="session")
def pipeline():
    """The real spaCy pipeline, loaded once for the whole run (~1 s)."""
    from models import ner
    return ner.load(MODEL)


@pytest.fixture
def loaded(monkeypatch, pipeline):
    """models.ner.load returning the session's pipeline (spaCy loads once); records what was
    asked. Afterwards the pipeline is as loaded: whatever ran (a patterns run) took its ruler
    out again."""
    from models import ner
    asked = []

    def load(name=None):
        asked.append(name)
        assert ner.resolve(name) == MODEL
        return pipeline
    monkeypatch.setattr(ner, "load", load)
    yield asked
    assert pipeline.nlp.pipe_names == ["ner"]
