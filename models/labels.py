"""Label sets: ordered labels, each with a colour and a single-key shortcut."""
from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field, replace
from importlib import resources

import regex

from models.display import BIDI_CONTROLS, shown

# Keys offered to labels, in order: digits first, then the letter rows.
KEY_ORDER = "123456789qwertyuiopasdfghjklzxcvbnm"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Fallback palette for labels that come without a colour (e.g. from a custom model).
PALETTE = ["#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f", "#cab2d6", "#ffff99", "#8dd3c7",
           "#bebada", "#fb8072", "#80b1d3", "#fccde5", "#d9d9d9", "#66c2a5", "#e78ac3",
           "#a6d854", "#ffd92f", "#e5c494", "#b3b3ff", "#ff7f50", "#40e0d0", "#f4a6d7"]


class LabelError(ValueError):
    pass


@dataclass(frozen=True)
class Label:
    name: str
    color: str
    key: str = ""
    description: str = ""
    order: int = 0

    def to_dict(self) -> dict:
        return {"name": self.name, "color": self.color, "key": self.key,
                "description": self.description, "order": self.order}

    @classmethod
    def from_dict(cls, d: dict) -> "Label":
        return cls(d["name"], d["color"], d.get("key") or "", d.get("description") or "",
                   int(d.get("order") or 0))


LONGEST_NAME = 100
SHOWN = 40              # a longer name is cut short in messages (its length is said)

# Refused anywhere in a name: what would break a line, a terminal or the reading order (C0/C1
# controls incl. NUL, tab and newline; DEL; lone surrogates; line and paragraph separators;
# bidi embeddings, overrides, isolates and marks; noncharacters).
_CONTROL = regex.compile(r"[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Noncharacter_Code_Point}]")
# Invisible characters a visible name may hold where they attach to what comes before: the
# joiners (an emoji ZWJ sequence, ZWNJ in Persian or Indic words), variation selectors (emoji
# presentation) and tag characters (the flags of England, Scotland, Wales).
_ATTACHED = regex.compile(r"[\u200c\u200d\p{Variation_Selector}\U000e0020-\U000e007f]")
# Every other invisible character is refused anywhere (a zero-width space, a soft hyphen, a
# byte-order mark, a Hangul filler, the blank Braille pattern): "PER\u200bSON" would look like
# PERSON and be another label.
_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]")
# Where an attached character is in its place (else it is one more invisible character:
# "PER\u200dSON" or "PERSON\ufe0f" would look like PERSON and be another label):
_PICTOGRAPH = regex.compile(r"\p{Extended_Pictographic}")
_BEFORE_EMOJI_ZWJ = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f]")
_EMOJI = regex.compile(r"\p{Emoji}")
_HAN = regex.compile(r"\p{Han}")
_LETTER = regex.compile(r"[\p{L}\p{M}]")
_NO_JOINERS = regex.compile(r"[\p{Latin}\p{Greek}\p{Cyrillic}\p{Common}]")   # scripts that never need one
_FLAG_TAGS = regex.compile(r"\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F")
# A character that shows something: not a mark, control, format, private-use, unassigned,
# separator or invisible character.
_VISIBLE = regex.compile(r"[^\p{M}\p{C}\p{Z}\p{Default_Ignorable_Code_Point}\u2800\s]")
_CONTROL_KIND = {"Cs": "a lone surrogate", "Zl": "a line separator", "Zp": "a paragraph separator"}


def _char(c: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: a character named safely."""
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X}" + (f" {name}" if name else "")


def _quoted(name: str) -> str:
    """The name in a message: ``repr`` (every control, bidi, invisible or surrogate character
    written as an escape: the message stays one line and shows what is there), cut short."""
    return repr(name) if len(name) <= SHOWN else repr(name[:SHOWN - 1] + "…")


def _in_place(name: str, i: int, tags: set[int]) -> bool:
    """Whether the invisible character at ``name[i]`` does what it is for there: a ZWJ inside
    an emoji sequence, a ZWJ or ZWNJ between letters of a script that uses them (Persian,
    Indic…, not Latin, Greek or Cyrillic), VS15/VS16 after an emoji, another variation
    selector after a Han character, a tag character inside a flag's tag sequence."""
    c = name[i]
    if not _ATTACHED.match(c):
        return False
    before = name[i - 1] if i else ""
    after = name[i + 1] if i + 1 < len(name) else ""
    if c == "\u200d" and before and after and _BEFORE_EMOJI_ZWJ.match(before) \
            and _PICTOGRAPH.match(after):
        return True
    if c in "\u200c\u200d":
        return all(x and _LETTER.match(x) and not _NO_JOINERS.match(x) for x in (before, after))
    if c in "\ufe0e\ufe0f":
        return bool(before) and _EMOJI.match(before) is not None
    if "\U000e0020" <= c <= "\U000e007f":
        return i in tags
    return bool(before) and _HAN.match(before) is not None       # other variation selectors


def _unsafe(name: str) -> str | None:
    """What in ``name`` makes it no name a person can read, if anything."""
    found = _CONTROL.search(name)
    if found:
        c = found.group()
        kind = _CONTROL_KIND.get(unicodedata.category(c), "a control character")
        if c in BIDI_CONTROLS:
            kind = "a bidirectional control"
        elif unicodedata.category(c) == "Cn":
            kind = "a noncharacter"
        return f"has {kind} ({_char(c)}) at character {found.start() + 1}"
    tags = {i for m in _FLAG_TAGS.finditer(name) for i in range(m.start() + 1, m.end())}
    for found in _INVISIBLE.finditer(name):
        if not _in_place(name, found.start(), tags):
            return f"has an invisible character ({_char(found.group())}) at character {found.start() + 1}"
    if not _VISIBLE.search(name):
        return "has nothing visible (only " + ", ".join(dict.fromkeys(map(_char, name[:3]))) + \
            (", …" if len(name) > 3 else "") + ")"
    first = name[0]         # (a joiner or selector out of its place was refused above)
    if unicodedata.category(first).startswith("M"):
        return f"begins with {_char(first)}, which belongs to a character before it"
    return None


def label_name_problem(name, what: str = "label") -> str | None:
    """Why ``name`` cannot be a label's name, or None if it can.

    A name is 1-100 characters with no whitespace (a label is one word in CoNLL tags,
    brat's ``.ann`` lines and spaCy's ``B-``/``I-`` tags), made of characters a person can
    see: no control character (NUL, tab, newline, ESC, DEL, C1), no bidi control, no lone
    surrogate, no line or paragraph separator, no invisible character but the joiners,
    variation selectors and tags inside an emoji or a word, and at least one visible character
    (not only marks, format, private-use or unassigned characters). Anything else is allowed
    and kept exactly — ``<b>``, quotes, ``&``, accents, CJK, emoji (with their ZWJ): the
    window shows names as plain text. One rule for every way a name comes in (imports, the
    window's new-label dialog, the label set read from a project file).
    """
    if not isinstance(name, str):
        try:
            text = repr(name)
        except ValueError:              # an integer past Python's digit limit
            text = f"(an integer of more than {sys.get_int_max_str_digits()} digits)"
        return f"{what} {shown(text)[:SHOWN]} must be 1-{LONGEST_NAME} characters without spaces"
    why = _unsafe(name) if name else None
    if why:
        return f"{what} {_quoted(name)} {why}: a label name is visible characters without spaces"
    if 0 < len(name) <= LONGEST_NAME and not any(c.isspace() for c in name):
        return None
    extra = f" ({len(name)} characters)" if len(name) > LONGEST_NAME else ""
    return f"{what} {_quoted(name)} must be 1-{LONGEST_NAME} characters without spaces{extra}"


def check_label(label: Label, existing: "LabelSet") -> None:
    """Raise LabelError if ``label`` cannot join ``existing``."""
    name = label.name
    why = label_name_problem(name, "label name")
    if why:
        raise LabelError(why)
    if name in existing:
        raise LabelError(f"label {_quoted(name)} already exists")
    if not _COLOR.match(label.color):
        raise LabelError(f"colour {label.color!r} is not of the form #rrggbb")
    if label.key:
        if len(label.key) != 1 or label.key not in KEY_ORDER:
            raise LabelError(f"key {label.key!r} must be one of {KEY_ORDER}")
        taken = existing.by_key(label.key)
        if taken:
            raise LabelError(f"key {label.key!r} is already used by {shown(taken.name)}")


@dataclass
class LabelSet:
    labels: list[Label] = field(default_factory=list)

    def __iter__(self):
        return iter(self.labels)

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, name: str) -> bool:
        return any(lab.name == name for lab in self.labels)

    def get(self, name: str) -> Label | None:
        return next((lab for lab in self.labels if lab.name == name), None)

    def by_key(self, key: str) -> Label | None:
        return next((lab for lab in self.labels if lab.key == key), None)

    def names(self) -> list[str]:
        return [lab.name for lab in self.labels]

    def free_key(self) -> str:
        used = {lab.key for lab in self.labels}
        return next((k for k in KEY_ORDER if k not in used), "")

    def new_label(self, name: str, color: str | None = None, key: str | None = None) -> Label:
        """A label ready to add: next free key and a palette colour unless given."""
        if color is None:     # the palette colour farthest from every colour in use
            used = [lab.color for lab in self.labels]
            color = max(PALETTE, key=lambda c: min((_distance(c, u) for u in used), default=1e9))
        return Label(name, color, self.free_key() if key is None else key,
                     order=max((lab.order for lab in self.labels), default=-1) + 1)


def _distance(a: str, b: str) -> float:
    ra, ga, ba = (int(a[i:i + 2], 16) for i in (1, 3, 5))
    rb, gb, bb = (int(b[i:i + 2], 16) for i in (1, 3, 5))
    return (2 * (ra - rb) ** 2 + 4 * (ga - gb) ** 2 + 3 * (ba - bb) ** 2) ** 0.5


def default_labels() -> LabelSet:
    data = json.loads(resources.files("resources").joinpath("default_labels.json").read_text("utf-8"))
    return LabelSet([replace(Label.from_dict(d), order=i) for i, d in enumerate(data["labels"])])
