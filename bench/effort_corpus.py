"""The corpus of ``bench_effort.py``: news-like documents with a known gold, and a stand-in
model that makes the usual errors, both deterministic (a seed; hashes are ``zlib.crc32``).

Gold: exact spans (start, end, label) and, for the people whose names are spelled in more
than one way, one entity per person (``GoldSpan.entity``: a key such as "P1"; 0 for none).

The stand-in model (``StandIn``, shaped like ``tests/gui/conftest.py``'s ``StandInPipeline``:
``predict(texts)`` yields (start, end, label) lists) is a dictionary of every surface form,
longest first; per name and per occurrence (a hash of the text and the offset) it
- includes a following possessive ("North Korea’s"),
- includes a leading "the" ("the Bank of Korea"),
- truncates ("Kim Jong" for "Kim Jong Un"),
- gives a wrong label (ORG for GPE and back),
- misses the name (some always: no checker can see those),
- labels a word that is no entity ("Officials" as ORG).
"""
from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

POSS = "\u2019s"


@dataclass(frozen=True)
class Name:
    key: str                        # the person or thing (an entity key for variant people)
    forms: tuple[str, ...]          # surface forms (variant spellings)
    label: str
    the: bool = False               # written "the X" in running text
    miss: float = 0.0               # the model's miss rate
    wrong: str = ""                 # the wrong label the model gives …
    wrong_rate: float = 0.0         # … this often
    poss: float = 0.85              # includes a following ’s this often
    take_the: float = 0.0           # includes a leading "the" this often
    cut: dict | None = None         # form -> (truncated form, rate)
    weight: float = 1.0             # how often the corpus names it


NAMES = (
    # people with variant spellings: one gold entity each
    Name("P1", ("Kim Jong Un", "Kim Jong-un"), "PERSON", cut={"Kim Jong Un": ("Kim Jong", 0.5)}, weight=4),
    Name("P2", ("Moon Jae-in", "Moon Jae In"), "PERSON", cut={"Moon Jae In": ("Moon Jae", 0.5)}, weight=3),
    Name("P3", ("Shinzo Abe", "Abe Shinzo"), "PERSON", weight=2),
    Name("P4", ("Yoon Suk Yeol", "Yoon Suk-yeol"), "PERSON", miss=1.0, weight=2),
    Name("P5", ("Ban Ki-moon", "Ban Ki Moon"), "PERSON", miss=0.3, weight=1.5),
    Name("P6", ("Lee Jae-myung", "Lee Jae Myung"), "PERSON", wrong="ORG", wrong_rate=0.25, weight=1.5),
    # people with one spelling: no entity in the gold
    Name("Lee Jae-yong", ("Lee Jae-yong",), "PERSON", wrong="ORG", wrong_rate=1.0, weight=1),
    Name("Joe Biden", ("Joe Biden",), "PERSON", weight=2),
    Name("Xi Jinping", ("Xi Jinping",), "PERSON", weight=2),
    Name("Lee Kuan Yew", ("Lee Kuan Yew",), "PERSON", miss=0.4, weight=0.7),
    # organisations
    Name("Samsung Electronics", ("Samsung Electronics",), "ORG", weight=2),
    Name("Hyundai Motor", ("Hyundai Motor",), "ORG", wrong="GPE", wrong_rate=1.0, weight=1.5),
    Name("Lee Kuan Yew School", ("Lee Kuan Yew School",), "ORG", the=True, take_the=0.8, weight=1),
    Name("Bank of Korea", ("Bank of Korea",), "ORG", the=True, take_the=0.8, wrong="GPE",
         wrong_rate=0.3, weight=1.5),
    Name("United Nations", ("United Nations",), "ORG", the=True, take_the=0.3, weight=1.5),
    # places
    Name("North Korea", ("North Korea",), "GPE", poss=1.0, weight=5),
    Name("South Korea", ("South Korea",), "GPE", weight=4),
    Name("Seoul", ("Seoul",), "GPE", weight=3),
    Name("Pyongyang", ("Pyongyang",), "GPE", miss=0.3, weight=2),
    Name("Beijing", ("Beijing",), "GPE", weight=2),
    Name("Tokyo", ("Tokyo",), "GPE", miss=0.2, weight=2),
    Name("Washington", ("Washington",), "GPE", weight=2),
    Name("Singapore", ("Singapore",), "GPE", wrong="ORG", wrong_rate=0.3, weight=1.5),
)
BY_FORM = {f: n for n in NAMES for f in n.forms}
SPURIOUS = ("Officials", 0.5, "ORG")        # a word the model takes for an ORG this often

# Slots: {P} a person, {O} an organisation, {G} a place, {X} any; a slot followed by ’s is
# written possessive.
TEMPLATES = (
    "{P} met {P} in {G} on Tuesday.",
    "{G}’s foreign ministry said {P} would visit {G} next month.",
    "Officials at {O} said the talks with {G} had stalled.",
    "{P}’s office declined to comment on the report.",
    "Shares of {O} rose 3 percent in {G} after the announcement.",
    "Analysts said {G} and {G} remain far apart on sanctions.",
    "A spokesman for {P} told reporters in {G} that {O} would invest more.",
    "Officials said the meeting with {P} was constructive.",
    "{O} and {O} signed an agreement in {G}.",
    "The decision by {X} surprised {P}.",
    "{G}’s envoy arrived in {G} late on Sunday.",
    "Researchers at {O} studied {G}’s economy.",
)
SLOT = re.compile(r"\{([POGX])\}(’s)?")


@dataclass(frozen=True)
class GoldSpan:
    start: int
    end: int
    label: str
    entity: str = ""                # a variant person's key; "" for none


@dataclass
class Doc:
    title: str
    text: str
    gold: list[GoldSpan]
    mentions: list[tuple[int, int, Name, str]]     # (start, end, name, form)


def _pick(rnd: random.Random, kind: str) -> Name:
    pool = [n for n in NAMES if kind == "X" or n.label == {"P": "PERSON", "O": "ORG", "G": "GPE"}[kind]]
    return rnd.choices(pool, weights=[n.weight for n in pool])[0]


def make_corpus(n_docs: int, seed: int = 11) -> list[Doc]:
    rnd = random.Random(seed)
    docs = []
    for i in range(n_docs):
        parts, gold, mentions, pos = [], [], [], 0
        for _ in range(rnd.randint(3, 4)):
            t = rnd.choice(TEMPLATES)
            out, last = [], 0
            for m in SLOT.finditer(t):
                out.append(t[last:m.start()])
                at = pos + sum(map(len, out))
                name = _pick(rnd, m.group(1))
                form = rnd.choice(name.forms)
                lead = "the " if name.the and not m.group(2) else ""
                if m.start() == 0 and lead:
                    lead = "The "
                out.append(lead + form + (m.group(2) or ""))
                start = at + len(lead)
                gold.append(GoldSpan(start, start + len(form), name.label,
                                     name.key if len(name.forms) > 1 else ""))
                mentions.append((start, start + len(form), name, form))
                last = m.end()
            out.append(t[last:])
            sentence = "".join(out)
            parts.append(sentence)
            pos += len(sentence) + 1
        text = " ".join(parts)
        for g in gold:
            assert text[g.start:g.end] in BY_FORM, (text, g)
        docs.append(Doc(f"Report {i + 1:03d}", text, sorted(gold, key=lambda g: g.start), mentions))
    return docs


def _chance(text: str, at: int, what: str) -> float:
    return zlib.crc32(f"{what}|{at}|{text}".encode()) / 2 ** 32


class StandIn:
    """Behaves like ``ner.Pipeline`` for the window: a dictionary 'model', instantly."""
    name = "stand-in"
    source = "stand_in-1.0"
    labels = ["PERSON", "ORG", "GPE"]

    def __init__(self) -> None:
        forms = sorted(BY_FORM, key=len, reverse=True)
        self.pattern = re.compile(r"\b(" + "|".join(map(re.escape, forms)) + r")\b")

    def predict(self, texts, batch_size: int = 32):
        for text in texts:
            yield self.entities(text)

    def entities(self, text: str) -> list[tuple[int, int, str]]:
        out = []
        word, rate, label = SPURIOUS
        for m in re.finditer(rf"\b{word}\b", text):
            if _chance(text, m.start(), "spurious") < rate:
                out.append((m.start(), m.end(), label))
        for m in self.pattern.finditer(text):
            a, b, form = m.start(), m.end(), m.group()
            name = BY_FORM[form]
            if _chance(text, a, "miss") < name.miss:
                continue
            label = name.wrong if _chance(text, a, "label") < name.wrong_rate else name.label
            cut = (name.cut or {}).get(form)
            if cut and _chance(text, a, "cut") < cut[1]:
                b = a + len(cut[0])
            elif text.startswith(POSS, b) and _chance(text, a, "poss") < name.poss:
                b += len(POSS)
            if a >= 4 and text[a - 4:a].lower() == "the " and _chance(text, a, "the") < name.take_the:
                a -= 4
            out.append((a, b, label))
        return sorted(out)


__all__ = ["make_corpus", "StandIn", "Doc", "GoldSpan", "NAMES", "POSS"]
