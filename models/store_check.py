"""The consistency checker's reads (a part of ``Store``; see ``models/checker.py``).

A full check streams every text and every span once, in document order, as two statements
walked side by side (100,000 documents: two statements, not 200,000); a re-check after an
edit reads only the documents it touched (``doc_ids``). Texts are sliced in Python: SQLite's
``substr`` walks a UTF-8 text from its start for every span.
"""
from __future__ import annotations

import json
from itertools import groupby
from operator import itemgetter
from typing import Iterable, Iterator

_IDS = " IN (SELECT value FROM json_each(?))"


class StoreCheck:
    """Mixed into ``Store``: needs ``self.db`` (sqlite-utils)."""

    db: object

    def check_rows(self, doc_ids: Iterable[int] | None = None, after: int | None = None
                   ) -> Iterator[tuple[int, str, list[tuple]]]:
        """(document id, text, its spans as (start, end, label, source, entity)) by document
        id: every document, those of ``doc_ids``, or those after the id ``after``. Spans come sorted by start, as stored
        (rows of a damaged file that are not text or whole numbers are left out here: the
        checker reads, it never refuses a project; opening that document says what is wrong)."""
        where, args = "", []
        if doc_ids is not None:
            where, args = " WHERE doc_id" + _IDS, [json.dumps(sorted(set(doc_ids)))]
        elif after is not None:
            where, args = " WHERE doc_id > ?", [after]
        conn = self.db.conn
        texts = conn.execute("SELECT doc_id, text FROM texts" + where + " ORDER BY doc_id", args)
        spans = conn.execute(
            "SELECT doc_id, start, end, label, source, ifnull(entity, 0) FROM spans" + (where or " WHERE 1")
            + " AND typeof(start) = 'integer' AND typeof(end) = 'integer' AND typeof(label) = 'text'"
            " AND typeof(source) = 'text' AND typeof(ifnull(entity, 0)) = 'integer'"
            " ORDER BY doc_id, start", args)
        groups = groupby(spans, key=itemgetter(0))
        doc, rows = next(groups, (None, ()))
        for doc_id, text in texts:
            while doc is not None and doc < doc_id:
                doc, rows = next(groups, (None, ()))
            if not isinstance(text, str):
                continue
            if doc != doc_id:
                yield doc_id, text, []
                continue
            n = len(text)
            yield doc_id, text, [r[1:] for r in rows if 0 <= r[1] < r[2] <= n]
            doc, rows = next(groups, (None, ()))

    def check_rejected(self, doc_ids: Iterable[int] | None = None) -> set[tuple[int, int, int, str]]:
        """(document, start, end, label) of every model suggestion a person rejected: the
        checker never asks to label those again."""
        where, args = "", []
        if doc_ids is not None:
            where, args = " WHERE doc_id" + _IDS, [json.dumps(sorted(set(doc_ids)))]
        return set(self.db.conn.execute("SELECT doc_id, start, end, label FROM rejected" + where, args))

    def check_containing(self, strings: Iterable[str]) -> set[int]:
        """The documents whose text holds any of ``strings`` anywhere (one scan of the texts per
        string, in SQLite: for the few strings an edit labels for the first time)."""
        found: set[int] = set()
        for s in set(strings):
            found.update(r[0] for r in self.db.conn.execute(
                "SELECT doc_id FROM texts WHERE instr(text, ?) > 0", [s]))
        return found

    def check_doc_count(self) -> int:
        return self.db.conn.execute("SELECT count(*) FROM texts").fetchone()[0]

    def check_titles(self, doc_ids: Iterable[int]) -> dict[int, str]:
        """Document id -> title, for the documents a finding names."""
        return {r[0]: r[1] if isinstance(r[1], str) else "" for r in self.db.conn.execute(
            "SELECT id, title FROM documents WHERE id" + _IDS, [json.dumps(sorted(set(doc_ids)))])}


__all__ = ["StoreCheck"]
