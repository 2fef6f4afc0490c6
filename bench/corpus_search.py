"""The document search of ``bench_corpus.py``: the window's search box beside the same SQL in
raw sqlite3, and what an FTS5 trigram index would change (measured, not used by the app).

* ``window_searches`` (in the app child, after the scroll): a word typed into the document
  panel's search box (``QTest.keyClicks``) until the list has painted the result — the panel's
  250 ms debounce, ``models.queue.SearchReader`` on the model's worker thread, the reset of
  the list — with a precise 10 ms QTimer's largest lateness meanwhile (the UI thread's
  longest stall).
* ``raw_searches``: the same SQL (``QueueQuery(search=...).sql()``) with ``fetchall`` on a
  fresh sqlite3 connection, and a plain ``SELECT doc_id FROM texts WHERE text LIKE ?``.
* ``fts_figures``: an FTS5 table (``tokenize='trigram', detail='none'``, contentless) built
  from ``texts`` in a file of its own beside the project (the project is not touched): build
  time, size, and each search as candidates from the index (every trigram of each term, ANDed:
  ``detail='none'`` stores no positions, so no phrase queries) checked with the same LIKE on
  the candidates only — the same ids as the LIKE search, compared here.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from corpus_common import Lateness, med, now, run_until

RARE_WORD = "quokka"        # the generator puts it in one article in 100,000
SEARCHES = (("rare word", RARE_WORD), ("common word", "minister"),
            ("two-word phrase", '"North Korea"'))


class _PaintHook:
    """Calls ``fn`` on every paint event of ``widget``."""

    def __init__(self, widget, fn):
        from PySide6.QtCore import QEvent, QObject

        class F(QObject):
            def eventFilter(s, obj, e):
                if e.type() == QEvent.Type.Paint:
                    fn()
                return False
        self.f = F(widget)
        widget.installEventFilter(self.f)


def window_searches(win, searches=SEARCHES, timeout_s: float = 300.0) -> list[dict]:
    """Type each search into ``win.doc_panel``'s box; time until the list painted its result."""
    from PySide6.QtTest import QTest
    panel, model, table = win.doc_panel, win.docs_model, win.doc_table
    out = []
    for label, text in searches:
        marks: dict[str, float] = {}

        def loaded():
            if model.query.search == text and model._search is None and "loaded" not in marks:
                marks["loaded"] = now()

        def searching(on):
            if on and "started" not in marks:
                marks["started"] = now()

        def painted():
            if "loaded" in marks and "shown" not in marks:
                marks["shown"] = now()
        model.loaded.connect(loaded)
        model.searching.connect(searching)
        hook = _PaintHook(table.viewport(), painted)
        panel.search.setFocus()
        panel.search.selectAll()
        late = Lateness()
        late.start()
        t0 = now()
        QTest.keyClicks(panel.search, text)
        typed = now()
        ok = run_until(lambda: "shown" in marks, timeout_s)
        stall = late.stop()
        model.loaded.disconnect(loaded)
        model.searching.disconnect(searching)
        table.viewport().removeEventFilter(hook.f)
        if not ok:
            raise SystemExit(f"search {text!r}: the list did not show a result in {timeout_s:g} s")
        out.append({"label": label, "text": text, "typing": typed - t0,
                    "started": marks.get("started", typed) - typed,
                    "loaded": marks["loaded"] - typed, "shown": marks["shown"] - typed,
                    "rows": model.rowCount(), "stall": stall})
    return out


def _reader(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    return conn


def raw_searches(path: Path, searches=SEARCHES, repeats: int = 3) -> list[dict]:
    """The same SQL as the window's search (fetchall), and a plain LIKE over ``texts``; medians."""
    from models.queue import QueueQuery, _like, search_terms
    out = []
    for label, text in searches:
        sql, args = QueueQuery(search=text).sql()
        terms = search_terms(text)
        plain = ("SELECT doc_id FROM texts WHERE "
                 + " AND ".join(["text LIKE ? ESCAPE '\\'"] * len(terms)))
        same, like, n_same, n_like = [], [], 0, 0
        for _ in range(repeats):
            conn = _reader(path)
            t = now()
            n_same = len(conn.execute(sql, args).fetchall())
            same.append(now() - t)
            t = now()
            n_like = len(conn.execute(plain, [_like(x) for x in terms]).fetchall())
            like.append(now() - t)
            conn.close()
        out.append({"label": label, "text": text, "same_sql": med(same), "rows": n_same,
                    "plain_like": med(like), "plain_rows": n_like})
    return out


def _trigrams(term: str) -> str:
    grams = sorted({term[i:i + 3] for i in range(len(term) - 2)})
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


def fts_figures(path: Path, index_file: Path, searches=SEARCHES, repeats: int = 3) -> dict:
    """Build a trigram FTS5 index of ``texts`` in ``index_file``; time searches through it."""
    from models.queue import QueueQuery, _like, search_terms
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("ATTACH ? AS fts", [str(index_file)])
    conn.execute("PRAGMA fts.journal_mode=WAL")
    conn.execute("CREATE VIRTUAL TABLE fts.idx USING fts5(text, content='', "
                 "tokenize='trigram', detail='none')")
    t = now()
    conn.execute("BEGIN")
    conn.execute("INSERT INTO fts.idx(rowid, text) SELECT doc_id, text FROM main.texts")
    conn.execute("COMMIT")
    build = now() - t
    conn.execute("PRAGMA fts.wal_checkpoint(TRUNCATE)")
    size = index_file.stat().st_size
    texts_bytes = conn.execute("SELECT sum(length(CAST(text AS BLOB))) FROM texts").fetchone()[0]
    out = {"build": build, "size": size, "texts_bytes": texts_bytes, "searches": []}
    for label, text in searches:
        terms = search_terms(text)
        if any(len(x) < 3 for x in terms):
            continue                # under 3 characters: no trigram, the LIKE search stays
        where, args = [], []
        for x in terms:
            where.append("(d.title LIKE ? ESCAPE '\\' OR (d.id IN (SELECT rowid FROM fts.idx "
                         "WHERE idx MATCH ?) AND (SELECT t.text FROM texts t WHERE t.doc_id = "
                         "d.id) LIKE ? ESCAPE '\\'))")
            args += [_like(x), _trigrams(x), _like(x)]
        sql = f"SELECT d.id FROM documents d WHERE {' AND '.join(where)} ORDER BY d.id"
        times, ids = [], []
        for _ in range(repeats):
            t = now()
            ids = [r[0] for r in conn.execute(sql, args)]
            times.append(now() - t)
        like_sql, like_args = QueueQuery(search=text).sql()
        same = ids == [r[0] for r in conn.execute(like_sql, like_args)]
        out["searches"].append({"label": label, "text": text, "ms": med(times), "rows": len(ids),
                                "same": same})
    conn.close()
    return out
