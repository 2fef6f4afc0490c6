"""Label sets: ordered labels, each with a colour and a single-key shortcut."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from importlib import resources

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


def label_name_problem(name, what: str = "label") -> str | None:
    """Why ``name`` cannot be a label's name, or None if it can.

    A name is 1-100 characters with no whitespace (a label is one word in CoNLL tags,
    brat's ``.ann`` lines and spaCy's ``B-``/``I-`` tags). Anything else is allowed and kept
    exactly — ``<b>``, quotes, ``&``, emoji: the window shows names as plain text.
    """
    if isinstance(name, str) and 0 < len(name) <= LONGEST_NAME and not any(c.isspace() for c in name):
        return None
    if not isinstance(name, str):
        return f"{what} {name!r} must be 1-{LONGEST_NAME} characters without spaces"
    shown = repr(name) if len(name) <= SHOWN else repr(name[:SHOWN - 1] + "…")
    why = f" ({len(name)} characters)" if len(name) > LONGEST_NAME else ""
    return f"{what} {shown} must be 1-{LONGEST_NAME} characters without spaces{why}"


def check_label(label: Label, existing: "LabelSet") -> None:
    """Raise LabelError if ``label`` cannot join ``existing``."""
    name = label.name
    why = label_name_problem(name, "label name")
    if why:
        raise LabelError(why)
    if name in existing:
        raise LabelError(f"label {name!r} already exists")
    if not _COLOR.match(label.color):
        raise LabelError(f"colour {label.color!r} is not of the form #rrggbb")
    if label.key:
        if len(label.key) != 1 or label.key not in KEY_ORDER:
            raise LabelError(f"key {label.key!r} must be one of {KEY_ORDER}")
        taken = existing.by_key(label.key)
        if taken:
            raise LabelError(f"key {label.key!r} is already used by {taken.name}")


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
