"""Inter-annotator agreement: several people's project files of the same articles, compared.

Documents are matched by their exact text (``text_hash``); only those every annotator has and
marked done count. Per pair: span F1 (exact: same start, end and label; overlap: same label,
overlapping ranges, matched one to one), per label, and Cohen's kappa over token labels; over
all: Krippendorff's alpha (nominal, by the ``krippendorff`` package) over the same tokens; and
the documents ranked by disagreement. Conventions (each one tested):

- F1 = 2·tp / (a_spans + b_spans) (symmetric), precision = tp / b_spans, recall = tp / a_spans
  (``a`` the reference). Both without a span: all three 1.0; else a ratio over 0 is 0.0.
- Tokens: spaCy's blank English tokenizer, whitespace left out; a token's label is that of the
  span holding its first character, else ``"O"``.
- Kappa: when the expected agreement is 1, 1.0 if the observed one is 1, else 0.0; no token at
  all: None. Alpha: None when the tokens hold fewer than two distinct labels (undefined).
- A disagreement: a group of spans linked by overlap (over every annotator's spans) in which
  not every annotator has exactly the same span (start, end, label).

Every file is someone else's: one that cannot be read is an ``AgreementError`` naming it.
"""
from __future__ import annotations

import math
import sqlite3
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Iterable, Sequence

from models.display import about_file, shown
from models.document import DONE, default_title
from models.spans import Span, overlapping

OUTSIDE = "O"           # the label of a token in no span
TOP = 20                # documents listed by ``text``


class AgreementError(Exception):
    """A project that cannot be compared (unreadable, or a name given twice), or annotators
    that cannot be: nothing was computed. ``path``: the file, when one is to blame."""

    def __init__(self, message: str, path=None):
        super().__init__(message)
        self.path = path


def _failed(path, why) -> AgreementError:
    """``path: why`` (``why`` as it is when it names the file already, as StoreError's do)."""
    return AgreementError(about_file(path, why), path)


@dataclass(frozen=True)
class Unit:
    """One document as several annotators left it: annotator -> (status, sorted spans)."""
    key: str
    title: str
    text: str
    versions: dict


@dataclass(frozen=True)
class Group:
    """Spans linked by overlap: the range they cover, how the annotators differ there
    (``"label"``, ``"bounds"`` or ``"missing"``), and each annotator's spans in it (an empty
    tuple for one who has none)."""
    start: int
    end: int
    kind: str
    spans: dict


# -- reading the projects -------------------------------------------------------------------------

def _read(path, keys: dict, found: dict) -> str:
    """One project read (read-only) into ``found`` (key -> [title, text, {name: version}]);
    its annotator's name. ``keys``: name -> the file that gave it."""
    from models.store import Store, StoreError
    try:
        store = Store(path, readonly=True)
    except (StoreError, OSError, sqlite3.Error) as e:
        raise _failed(path, e) from None
    try:
        from models.team import file_annotator
        name, _note = file_annotator(store, path)     # as merge names it
        if name in keys:
            twice = Path(keys[name]).resolve() == Path(path).resolve()
            raise _failed(path, "given twice" if twice else f"the annotator {name!r} is also the "
                          f"one of {keys[name]} (each file must be a different person's: set "
                          "its annotator)")
        keys[name] = path
        for doc, spans in store.iter_documents(statuses=None):
            entry = found.setdefault(doc.text_hash, [doc.title or default_title(doc.text),
                                                     doc.text, {}])
            entry[2][name] = (doc.status, tuple(spans))
    except (StoreError, OSError, sqlite3.Error) as e:   # DamagedContent is a StoreError
        raise _failed(path, e) from None
    finally:
        store.close()
    return name


def from_projects(paths: Iterable) -> tuple[list[str], list[Unit]]:
    """The annotators (one per file, in order: the project's ``annotator`` setting, else the
    file's stem) and every document of any file, matched by text. Raises AgreementError."""
    keys, found = {}, {}
    names = [_read(p, keys, found) for p in paths]
    return names, [Unit(k, title, text, versions) for k, (title, text, versions) in found.items()]


# -- disagreements ----------------------------------------------------------------------------------

def _same(span: Span) -> tuple:
    return span.start, span.end, span.label


def _groups(versions: dict) -> list[tuple[int, int, dict]]:
    """(start, end, annotator -> spans) of each group of spans linked by overlap, by start."""
    names = list(versions)
    groups: list = []           # [start, end, [(annotator's index, span)]]
    for start, end, k, s in sorted((s.start, s.end, k, s) for k, n in enumerate(names)
                                   for s in versions[n]):
        if not groups or start >= groups[-1][1]:
            groups.append([start, end, []])
        groups[-1][1] = max(groups[-1][1], end)
        groups[-1][2].append((k, s))
    return [(start, end, {n: tuple(s for j, s in members if j == k) for k, n in enumerate(names)})
            for start, end, members in groups]


def _kind(spans: dict) -> str | None:
    """How one group differs between annotators; None when every one has the same span."""
    if any(not s for s in spans.values()):
        return "missing"
    if any(len(s) != 1 for s in spans.values()):
        return "bounds"
    if len({_same(s[0]) for s in spans.values()}) == 1:
        return None
    return "label" if len({(s[0].start, s[0].end) for s in spans.values()}) == 1 else "bounds"


def disagreements(versions: dict[str, Sequence[Span]]) -> list[Group]:
    """The groups of overlapping spans (linked over every annotator's spans) in which not every
    annotator has exactly the same span, by start. Kind: ``"missing"`` when some annotator has
    no span there, else ``"label"`` when every one has one span of the same bounds, else
    ``"bounds"``."""
    return [Group(start, end, kind, spans) for start, end, spans in _groups(versions)
            if (kind := _kind(spans)) is not None]


def agreed(versions: dict[str, Sequence[Span]]) -> list[Span]:
    """The spans every annotator has identically (start, end, label), by start, as bare
    ``Span(start, end, label)``: a source or an entity id belongs to one project only."""
    return [Span(*_same(next(iter(spans.values()))[0]))
            for _, _, spans in _groups(versions) if _kind(spans) is None]


# -- scores -------------------------------------------------------------------------------------------

def _exact_tp(a: Sequence[Span], b: Sequence[Span]) -> int:
    return len({_same(s) for s in a} & {_same(s) for s in b})


def _overlap_tp(a: Sequence[Span], b: Sequence[Span]) -> int:
    """Spans of ``a`` matched one to one with an overlapping span of ``b`` of the same label
    (greedy by start: each takes the first overlapping one not yet taken)."""
    by_label, taken = _by_label(b), set()
    for s in a:
        for t in overlapping(by_label.get(s.label, ()), s.start, s.end):
            if t not in taken:
                taken.add(t)
                break
    return len(taken)


def _by_label(spans: Sequence[Span]) -> dict[str, list[Span]]:
    out: dict = {}
    for s in spans:
        out.setdefault(s.label, []).append(s)
    return out


def f1(tp: int, a_spans: int, b_spans: int) -> float:
    """2·tp / (a_spans + b_spans); 1.0 when both have no span."""
    return 1.0 if not a_spans + b_spans else 2 * tp / (a_spans + b_spans)


def _scores(tp: int, a_spans: int, b_spans: int) -> dict:
    def ratio(n, d):
        return (1.0 if not a_spans + b_spans else 0.0) if not d else n / d
    return {"f1": f1(tp, a_spans, b_spans), "precision": ratio(tp, b_spans),
            "recall": ratio(tp, a_spans), "tp": tp, "a_spans": a_spans, "b_spans": b_spans}


def kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa of two label sequences (one label per item): (p_o - p_e) / (1 - p_e), p_e
    from each one's own marginals. 1.0 (p_o = 1) or 0.0 when p_e = 1; None for no items."""
    n = len(a)
    if not n:
        return None
    ca, cb = Counter(a), Counter(b)
    agree = sum(x == y for x, y in zip(a, b))
    expected = sum(ca[k] * cb[k] for k in ca)           # p_e · n²
    if expected == n * n:
        return 1.0 if agree == n else 0.0
    return (n * agree - expected) / (n * n - expected)


_TOKENIZER = None


def tokens(text: str) -> list[int]:
    """Where each token of ``text`` starts (spaCy's blank English tokenizer, whitespace
    tokens left out)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        import spacy
        _TOKENIZER = spacy.blank("en").tokenizer
    return [t.idx for t in _TOKENIZER(text) if not t.is_space]


def token_labels(starts: Sequence[int], spans: Sequence[Span]) -> list[str]:
    """Each token's label: that of the span holding its first character, else ``"O"``. Both
    are sorted (spans never overlap): one walk side by side, not a search per token."""
    out, k, n = [], 0, len(spans)
    for i in starts:
        while k < n and spans[k].end <= i:
            k += 1
        out.append(spans[k].label if k < n and spans[k].start <= i else OUTSIDE)
    return out


def alpha(labels: dict[str, Sequence[str]]) -> float | None:
    """Krippendorff's alpha (nominal) of the annotators' token labels (by the ``krippendorff``
    package); None when there are fewer than two distinct labels (alpha is undefined)."""
    import krippendorff
    values = sorted({x for seq in labels.values() for x in seq})
    if len(values) < 2:
        return None
    code = {v: i for i, v in enumerate(values)}
    data = [[code[x] for x in seq] for seq in labels.values()]
    value = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    return value if math.isfinite(value) else None


def counted(annotators: Sequence[str], units: Iterable[Unit]) -> list[Unit]:
    """The units every one of ``annotators`` has and marked done."""
    return [u for u in units
            if all(n in u.versions and u.versions[n][0] == DONE for n in annotators)]


def agreement(annotators: Sequence[str], units: Iterable[Unit]) -> dict:
    """The agreement of ``annotators`` (at least two) on the units they all marked done, as
    one JSON-serialisable dict (keys: see ``models/agreement.py``'s docstring and the tests)."""
    names = list(annotators)
    if len(names) < 2 or len(set(names)) != len(names):
        raise AgreementError(f"agreement needs at least two different annotators, not {names}")
    docs = counted(names, units)
    pairs = list(combinations(names, 2))
    tally = {p: Counter() for p in pairs}       # (kind, label) -> n over the documents
    per_annotator = {n: Counter() for n in names}           # label -> spans
    seqs: dict = {n: [] for n in names}                     # token labels, all documents
    ranked = []
    for u in docs:
        spans = {n: u.versions[n][1] for n in names}
        by_label = {n: _by_label(spans[n]) for n in names}
        starts = tokens(u.text)
        for n in names:
            seqs[n] += token_labels(starts, spans[n])
            per_annotator[n].update({lab: len(v) for lab, v in by_label[n].items()})
        doc_f1 = []
        for a, b in pairs:
            t, tp = tally[(a, b)], 0
            for lab in by_label[a].keys() | by_label[b].keys():
                sa, sb = by_label[a].get(lab, ()), by_label[b].get(lab, ())
                tp += (exact := _exact_tp(sa, sb))
                t.update({("exact", lab): exact, ("overlap", lab): _overlap_tp(sa, sb),
                          ("a", lab): len(sa), ("b", lab): len(sb)})
            doc_f1.append(f1(tp, len(spans[a]), len(spans[b])))
        ranked.append({"key": u.key, "title": u.title,
                       "disagreements": len(disagreements(spans)),
                       "exact_f1": sum(doc_f1) / len(doc_f1)})
    ranked.sort(key=lambda r: (r["exact_f1"], -r["disagreements"], r["title"], r["key"]))
    used = sorted(set().union(*per_annotator.values()))
    out_pairs = [_pair(a, b, tally[(a, b)], used, kappa(seqs[a], seqs[b])) for a, b in pairs]
    if not docs:        # nothing compared: no figure (not the 1.0 of two empty sets)
        for p in out_pairs:
            for key in ("exact", "overlap"):
                p[key].update(f1=None, precision=None, recall=None)
    return {"documents": len(docs), "annotators": names, "pairs": out_pairs,
            "alpha": alpha(seqs), "labels": _labels(out_pairs, used, per_annotator),
            "ranked": ranked}


def _pair(a: str, b: str, t: Counter, used: list[str], k: float | None) -> dict:
    total = {key: sum(t[key, lab] for lab in used) for key in ("exact", "overlap", "a", "b")}
    per_label = {lab: {"exact_f1": f1(t["exact", lab], t["a", lab], t["b", lab]),
                       "overlap_f1": f1(t["overlap", lab], t["a", lab], t["b", lab]),
                       "a_spans": t["a", lab], "b_spans": t["b", lab]}
                 for lab in used if t["a", lab] or t["b", lab]}
    return {"a": a, "b": b, "exact": _scores(total["exact"], total["a"], total["b"]),
            "overlap": _scores(total["overlap"], total["a"], total["b"]),
            "per_label": per_label, "kappa": k}


def _labels(pairs: list[dict], used: list[str], per_annotator: dict) -> dict:
    """Per label: mean exact and overlap F1 over the pairs in which either one used it, how
    many such pairs, and each annotator's spans of it."""
    out = {}
    for lab in used:
        got = [p["per_label"][lab] for p in pairs if lab in p["per_label"]]
        out[lab] = {"exact_f1": sum(g["exact_f1"] for g in got) / len(got),
                    "overlap_f1": sum(g["overlap_f1"] for g in got) / len(got),
                    "pairs": len(got),
                    "spans": {n: c[lab] for n, c in per_annotator.items()}}
    return out


# -- text -----------------------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list], width: int = 60) -> list[str]:
    """Aligned columns (numbers to the right), every cell ``shown`` and cut to ``width``."""
    right = [bool(rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in rows)
             for i in range(len(header))]
    cells = [[shown(c) for c in header]] + [[shown(_num(c)) for c in r] for r in rows]
    cells = [[c if len(c) <= width else c[:width - 1] + "…" for c in r] for r in cells]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  ".join(c.rjust(w) if r_ else c.ljust(w) for c, w, r_ in zip(r, widths, right))
            .rstrip() for r in cells]


def _num(x) -> str:
    """A float with three decimals, None as "-", anything else as it is."""
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def text(report: dict) -> str:
    """The report as aligned tables for a terminal; every name and title made safe to print."""
    names = report["annotators"]
    n = report["documents"]
    lines = [shown(f"{len(names)} annotators ({', '.join(names)}); {n} document"
                   f"{'' if n == 1 else 's'} done by every one")]
    rows = [[p["a"], p["b"], p["exact"]["f1"], p["exact"]["precision"], p["exact"]["recall"],
             p["overlap"]["f1"], p["kappa"], p["exact"]["a_spans"], p["exact"]["b_spans"]]
            for p in report["pairs"]]
    lines += ["", "Pairs (precision and recall of b against a)", "-" * 44]
    lines += _table(["a", "b", "exact F1", "P", "R", "overlap F1", "kappa", "a spans",
                     "b spans"], rows)
    a = report["alpha"]
    lines += ["", "Krippendorff's alpha (nominal, token labels): "
              + (_num(a) if a is not None else "undefined (fewer than two distinct labels)")]
    if report["labels"]:
        rows = [[lab, v["exact_f1"], v["overlap_f1"],
                 *(v["spans"][n] for n in names)] for lab, v in report["labels"].items()]
        lines += ["", "Per label (mean over the pairs that used it)", "-" * 44]
        lines += _table(["label", "exact F1", "overlap F1", *names], rows)
    ranked = report["ranked"]
    if ranked:
        lines += ["", f"Most disagreement (top {min(TOP, len(ranked))} of {len(ranked)})",
                  "-" * 44]
        lines += _table(["exact F1", "disagreements", "title"],
                        [[r["exact_f1"], r["disagreements"], r["title"]]
                         for r in ranked[:TOP]])
    return "\n".join(lines) + "\n"


__all__ = ["Unit", "Group", "AgreementError", "from_projects", "agreement", "disagreements",
           "agreed", "counted", "kappa", "alpha", "tokens", "token_labels", "f1", "text",
           "OUTSIDE"]
