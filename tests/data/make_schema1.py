"""Make ``schema1.annotator``: a small project written by the FIRST schema's code.

The file in this folder was made with::

    python tests/data/make_schema1.py tests/data/schema1.annotator

which runs ``models/`` as it was at commit d7b54bd (the end of issue 2, before the document
list added ``n_spans``) from a temporary directory: the working tree is not touched. The file
is committed; there is no need to run this again (it only documents where the file came from).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIRST_SCHEMA_COMMIT = "d7b54bd"

WRITER = r'''
import sys
from models import edits as E
from models.spans import Span
from models.store import Store

s = Store(sys.argv[1])
texts = [
    ("Summit", "Kim Jong Un met Moon Jae-in in Seoul on Monday. 🇰🇷 Tokyo watched."),
    ("Markets", "Apple shares rose 3% in New York.\r\nSamsung fell in Seoul."),
    ("Weather", "Rain in Busan 😀 and snow in Sapporo."),
    ("Unchecked", "Nobody has checked the suggestion Pyongyang yet."),
]
ids, _ = s.add_documents([{"text": t, "title": title, "meta": {"source": f"{i}.txt"}}
                          for i, (title, t) in enumerate(texts)])
a, b, c, d = ids
# A label of the project's own.
s.apply(E.ChangeLabels(None, (s.labels().new_label("WEAPON", "#aa3377"),), (), "Add label WEAPON"))
# Model suggestions (pre-annotation), then a person's corrections.
model = "en_core_web_sm-3.8.0"
s.apply(E.ReplaceSpans(a, (), (Span(0, 11, "PERSON", model), Span(16, 27, "PERSON", model),
                               Span(31, 36, "GPE", model), Span(40, 46, "DATE", model)), "Model"))
s.mark_preannotated(a, model)
s.apply(E.confirm(a, Span(0, 11, "PERSON", model)))
s.apply(E.relabel(a, Span(40, 46, "DATE", model), "EVENT"))
s.apply(E.add_span(a, Span(51, 56, "GPE"), s.spans(a)))            # after the flag: code points
s.apply(E.finish(a, s.spans(a), s.document_status(a), "done", "Mark done"))
s.apply(E.add_span(b, Span(0, 5, "ORG"), []))
s.apply(E.add_span(b, Span(24, 32, "GPE"), s.spans(b)))
s.apply(E.add_span(b, Span(35, 42, "ORG"), s.spans(b)))               # after the CRLF
undone = E.add_span(b, Span(51, 56, "LOC"), s.spans(b))
s.apply(undone.inverse(), mode="undo", entry=s.apply(undone))      # an undone entry (redo)
s.apply(E.add_span(c, Span(8, 13, "GPE"), []))
s.apply(E.add_span(c, Span(28, 35, "GPE"), s.spans(c)))               # after the emoji
s.apply(E.finish(c, s.spans(c), s.document_status(c), "skipped", "Skip"))
s.apply(E.ReplaceSpans(d, (), (Span(34, 43, "GPE", model),), "Model"))   # left unchecked
s.mark_preannotated(d, model)
s.set_setting("model", model)
s.set_setting("last_doc", b)
s.close()
'''


def main(out: str) -> None:
    repo = Path(__file__).resolve().parents[2]
    out_path = Path(out).resolve()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(repo), "archive", FIRST_SCHEMA_COMMIT, "models", "resources"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        target = Path(tmp) / "schema1.annotator"
        env = {**os.environ, "PYTHONPATH": tmp}
        subprocess.run([sys.executable, "-c", WRITER, str(target)], cwd=tmp, env=env, check=True)
        shutil.copyfile(target, out_path)


if __name__ == "__main__":
    main(sys.argv[1])
