"""The model server: the pipeline in a process of its own, answering in order."""
from __future__ import annotations

import os
import signal

import pytest

from models import ner
from models.model_server import ModelServer, ServerStopped

from .helpers import MODEL

TEXTS = ["Kim Jong Un met Moon Jae-in in Seoul on Monday.", "Samsung shares rose in Tokyo.",
         "No entity here, said nobody.", "The Bank of Korea said 🇰🇷 prices rose 3 percent in March."]


def test_the_server_answers_as_the_pipeline_in_this_process_and_stops_when_asked(pipeline):
    server = ModelServer(MODEL)
    try:
        assert server.pid != os.getpid() and server.alive()
        assert (server.name, server.source, server.labels, server.lang) == \
            (pipeline.name, pipeline.source, pipeline.labels, "en")
        assert list(server.predict(TEXTS, batch_size=2)) == list(pipeline.predict(TEXTS))
        # Two batches in flight, collected in order; one submitted and never collected (a
        # stopped batch) is read past by the next answer.
        first, second = server.submit(TEXTS[:2]), server.submit(TEXTS[2:])
        assert server.collect(first) + server.collect(second) == list(pipeline.predict(TEXTS))
        server.submit(TEXTS[:1])
        assert next(server.predict(TEXTS[3:])) == next(pipeline.predict(TEXTS[3:]))
    finally:
        server.close()
    assert not server.alive() and server.process.exitcode == 0


def test_a_pipeline_that_cannot_be_loaded_is_said_and_the_process_is_gone(tmp_path):
    with pytest.raises(ner.ModelError, match="cannot load spaCy pipeline"):
        ModelServer(str(tmp_path / "no-such-model"))


def test_a_killed_server_is_said_by_the_next_call(pipeline):
    server = ModelServer(MODEL)
    os.kill(server.pid, signal.SIGKILL)
    server.process.join(5)
    with pytest.raises(ServerStopped, match=r"the model server stopped \(killed by signal 9\)"):
        list(server.predict(TEXTS))
    server.close()
