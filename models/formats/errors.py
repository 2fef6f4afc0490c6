"""What an import reports (problems with file, line and what is wrong) and the checks every
reader shares before it decodes a file.

Text is UTF-8 unless the user names another encoding (``--encoding``, or the window's
question). A file that is not UTF-8 is never decoded by a guess: the problem says where the
first bad byte is and, when ``charset_normalizer`` can tell, which encoding the file looks
like (``ImportProblem.encoding``), so the user can read it again with that encoding.
A UTF-16 file (it starts with a UTF-16 byte-order mark) is refused the same way, with
``utf-16`` offered: the mark tells the encoding for sure, but a project's texts are imported
as UTF-8 unless the user says otherwise.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator

from models.display import shown
from models.formats.files import open_regular, read_whole

HEAD = 8192          # bytes looked at to tell text from binary
DECODE_CHUNK = 1 << 20      # bytes decoded at a time
DETECT_BYTES = 256 * 1024    # at most this much of a file is given to the encoding detector

# Encodings offered first when the detector finds several that decode a file to the same
# characters, commonest first (cp1252 is a superset of Latin-1 where Latin-1 has text).
PREFERRED = ("cp1252", "cp1250", "cp1251", "iso8859_15", "cp1253", "cp1254", "cp1257",
             "cp1255", "cp1256", "cp874", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr",
             "koi8_r", "mac_roman")
NAMES = {"cp1252": "Windows-1252 (Western European)", "cp1250": "Windows-1250 (Central European)",
         "cp1251": "Windows-1251 (Cyrillic)", "cp1253": "Windows-1253 (Greek)",
         "cp1254": "Windows-1254 (Turkish)", "cp1255": "Windows-1255 (Hebrew)",
         "cp1256": "Windows-1256 (Arabic)", "cp1257": "Windows-1257 (Baltic)",
         "cp874": "Windows-874 (Thai)", "latin_1": "ISO-8859-1 (Western European)",
         "iso8859_15": "ISO-8859-15 (Western European)", "utf_16": "UTF-16",
         "shift_jis": "Shift JIS (Japanese)", "euc_jp": "EUC-JP (Japanese)",
         "gb18030": "GB18030 (Chinese)", "big5": "Big5 (Traditional Chinese)",
         "euc_kr": "EUC-KR (Korean)", "koi8_r": "KOI8-R (Cyrillic)", "mac_roman": "Mac Roman"}
CHAOS_SLACK = 0.05   # detector results this close to the best count as equally good


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None
    message: str
    # True when something was left out (a file, a line, a record); False for a warning about a
    # document that was still imported (e.g. one of its spans was dropped).
    rejected: bool = True
    # The encoding the file looks like, when it was refused for not being UTF-8 (a codec name
    # such as "cp1252"); reading it again with this encoding would import it.
    encoding: str | None = None

    def __str__(self) -> str:
        # One line, every character visible: file names and messages quote what files hold
        # (a name's raw bytes, ESC, a newline) — escaped, never sent to a terminal or a window.
        where = f"{self.file}:{self.line}" if self.line else self.file
        return shown(f"{where}: {self.message}")


EXAMPLES = "e.g. cp1252, latin-1, utf-16"
# What --encoding is tried on: the syntaxes of the codecs that read ASCII as other characters
# (Python escapes, IDNA/punycode labels, UTF-7's +...- runs), and ordinary punctuation.
_PROBE_TEXT = "Aa0 xn--dma.\\x41\\u0041+AEE-,;:!?()"
_PROBE_BYTES = (b"xn--dma.abc", b"\\x41\\u0041\\n", b"+AEE-", b"Aa0 ,.:;!?()")


@lru_cache(maxsize=None)
def _not_text_encoding(name: str) -> str | None:
    """Why the codec ``name`` is not a character encoding a file's text can be read in, or None.

    An allowlist by property, not a list of names: a codec is accepted when (1) Python marks
    it a text encoding (bytes <-> str; not base64, hex, zlib, bz2, uu, quopri, rot13), (2) it
    writes a text and reads it back exactly (not ``undefined``, ``raw_unicode_escape``), (3) it
    encodes character by character (a stream: not ``punycode``), and (4) wherever it reads
    plain ASCII bytes at all, each character it reads is one character's worth of bytes — the
    file's characters as written, no escape syntax (not ``unicode_escape``, ``idna``,
    ``utf-7``). Every character encoding Python ships passes: UTF-8/16/32 (with or without a
    BOM), the ISO-8859 and Windows code pages, EBCDIC, Shift JIS, EUC, GB18030, Big5, ISO-2022…
    """
    info = codecs.lookup(name)
    if not getattr(info, "_is_text_encoding", True):
        return ("is a transform (bytes to bytes or text to text, as base64, zlib or rot13), "
                "not a text encoding")
    try:
        data = info.encode(_PROBE_TEXT)[0]
        if info.decode(data)[0] != _PROBE_TEXT:
            return "does not read back the text it writes"
        encoder = info.incrementalencoder()
        if b"".join(encoder.encode(c) for c in _PROBE_TEXT) + encoder.encode("", True) != data:
            return "does not encode text character by character"
        width = len(info.encode("AA")[0]) - len(info.encode("A")[0])
    except (UnicodeError, TypeError, ValueError, LookupError) as e:
        return f"cannot encode ordinary text ({type(e).__name__})"
    for probe in _PROBE_BYTES:
        try:
            got = info.decode(probe)[0]
        except (UnicodeError, ValueError):
            continue                # not ASCII-based (UTF-32): nothing read as an escape
        if width and len(got) * width != len(probe):
            return (f"reads escapes, not the characters of a file as written "
                    f"({shown(repr(probe.decode()))} becomes {shown(repr(got))})")
    return None


def codec_name(encoding: str) -> str:
    """Python's name of a text encoding ("CP-1252" -> "cp1252"); ValueError if there is none,
    or if the codec is no character encoding of text (``rot13``, ``base64``, ``unicode_escape``,
    ``idna``…: see ``_not_text_encoding``)."""
    try:
        name = codecs.lookup(encoding).name
    except (LookupError, TypeError, ValueError):
        raise ValueError(f"unknown encoding {shown(repr(encoding))} ({EXAMPLES})") from None
    why = _not_text_encoding(name)
    if why:
        raise ValueError(f"--encoding {shown(encoding)}: {name} {why}; name the character encoding "
                         f"the file is in ({EXAMPLES})")
    return name


def utf8_first(encoding: str | None) -> bool:
    """Whether a text that is valid UTF-8 is read as UTF-8 although ``encoding`` was given:
    ``--encoding`` is for the files (and lines) that are not UTF-8 — applied to UTF-8 text,
    cp1252 would turn "é" into "Ã©" and move every span after it. Not for UTF-16/32, whose
    bytes of plain ASCII text are valid UTF-8 too."""
    return bool(encoding) and not codec_name(encoding).startswith(("utf-16", "utf-32", "utf_16",
                                                                   "utf_32"))


def describe(encoding: str) -> str:
    """An encoding as a person knows it: "cp1252" -> "Windows-1252 (Western European)"."""
    name = codecs.lookup(encoding).name.replace("-", "_")
    return NAMES.get(name, encoding)


def detect(data: bytes, at: int = 0) -> str | None:
    """The encoding ``data`` most likely is in (a Python codec name), or None if unclear.

    ``at``: where the first byte that is not UTF-8 is; the detector sees the start of the
    file and the bytes around it. UTF-8 and UTF-16/32 (which have byte-order marks, handled
    before) are never offered.
    """
    if len(data) > DETECT_BYTES:
        half = DETECT_BYTES // 2
        data = data[:half] + b"\n" + data[max(at - half // 2, half):at + half // 2]
    try:
        from charset_normalizer import from_bytes
        found = list(from_bytes(data))
    except Exception:           # the detector is a help, never a reason to fail
        return None
    found = [m for m in found if not m.encoding.startswith(("utf", "ascii"))]
    if not found:
        return None
    best = min(m.chaos for m in found)
    good = [m for m in found if m.chaos <= best + CHAOS_SLACK]
    could = [e for m in good for e in (m.encoding, *m.could_be_from_charset)]
    for name in PREFERRED:
        if name in could or (name == "cp1252" and "latin_1" in could):
            try:
                data.decode(name)
            except UnicodeDecodeError:
                continue
            return name
    return good[0].encoding


def not_utf8(byte: int, offset: int, line: int | None = None, encoding: str | None = None,
             hint: bool = True) -> str:
    """Why a file is refused: the first byte that is not UTF-8, and what to do."""
    where = f"at line {line}, offset {offset}" if line else f"at offset {offset}"
    text = f"not UTF-8 (byte 0x{byte:02x} {where})"
    if not hint:
        return text
    if encoding:
        return f"{text}; it looks like {encoding} — run again with --encoding {encoding}"
    return f"{text}; save it as UTF-8, or run again with --encoding NAME (e.g. cp1252)"


def sniff(head: bytes, file: str, encoding: str | None = None) -> ImportProblem | None:
    """A problem if the first bytes of a file show it is not text in ``encoding`` (UTF-8)."""
    wide = encoding is not None and codec_name(encoding).startswith(("utf-16", "utf-32"))
    if encoding is None and head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return ImportProblem(file, None, "file is UTF-16 (it starts with a UTF-16 byte-order "
                             "mark); run again with --encoding utf-16, or save it as UTF-8",
                             encoding="utf-16")
    if not wide and b"\x00" in head[:HEAD]:
        return ImportProblem(file, None, "file is binary, not text")
    return None


def decode_bytes(data: bytes, file: str, encoding: str | None = None) -> tuple[str, ImportProblem | None]:
    """The text of a whole file's bytes, or a problem saying why it is not text.

    ``encoding``: what the user said the file is (default UTF-8). A byte-order mark is not
    part of the text. Nothing else is changed: line ends, whitespace and every character are
    kept exactly.
    """
    if not data or data.isspace():         # (isspace stops at the first other byte: no copy)
        return "", ImportProblem(file, None, "file is empty")
    problem = sniff(data, file, encoding)
    if problem:
        return "", problem
    try:
        try:
            text = _decode(data, "utf-8" if not encoding or utf8_first(encoding) else encoding)
        except UnicodeDecodeError:
            if not utf8_first(encoding):
                raise
            text = _decode(data, encoding)      # not UTF-8: what --encoding is for
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        if encoding:
            return "", ImportProblem(file, line, f"cannot be read as {encoding} (byte "
                                     f"0x{data[e.start]:02x} at line {line}, offset {e.start})")
        guess = detect(data, e.start)
        return "", ImportProblem(file, line, not_utf8(data[e.start], e.start, line, guess),
                                 encoding=guess)
    text = text.removeprefix("\ufeff")
    if not text or text.isspace():
        return "", ImportProblem(file, None, "file is empty")
    return text, None


def read_text(f, file: str, encoding: str | None = None) -> tuple[str, ImportProblem | None]:
    """The whole text of an open binary file (``files.read_whole``, then ``decode_bytes``), or
    ("", the problem that rejects the file)."""
    data, why = read_whole(f)
    if why:
        return "", ImportProblem(file, None, why)
    return decode_bytes(data, file, encoding)


def _decode(data: bytes, encoding: str) -> str:
    """``data.decode(encoding)``, a megabyte at a time: one call over a 50 MB file holds the
    GIL for ~70 ms, and the window's UI thread with it."""
    if len(data) <= DECODE_CHUNK:
        return data.decode(encoding)
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    parts = []
    try:
        for i in range(0, len(data), DECODE_CHUNK):
            parts.append(decoder.decode(view[i:i + DECODE_CHUNK], final=i + DECODE_CHUNK >= len(data)))
    except UnicodeDecodeError:
        parts.clear()
        data.decode(encoding)        # the error again, with its offset in the whole file
        raise
    finally:
        view.release()
    return "".join(parts)


def preview(path: str | Path, encoding: str, longest: int = 80) -> str:
    """The first non-empty line of a file decoded with ``encoding``, for a question to the user."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return ""
    text = head.decode(encoding, errors="replace").removeprefix("\ufeff")
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= longest else line[:longest - 1] + "…"


def decode_utf8(path: Path) -> tuple[str, ImportProblem | None]:
    """The file's text, or a problem saying why it cannot be read as UTF-8 text."""
    f, why = open_regular(path)
    if f is None:
        return "", ImportProblem(str(path), None, why)
    with f:
        data, why = read_whole(f)
    if why:
        return "", ImportProblem(str(path), None, why)
    return decode_bytes(data, str(path))


def collect(items: Iterable[dict | ImportProblem]) -> tuple[list[dict], list[ImportProblem]]:
    """A streaming reader's output as (documents, problems) lists, for small files and tests."""
    docs, problems = [], []
    for item in items:
        (problems if isinstance(item, ImportProblem) else docs).append(item)
    return docs, problems


def open_and_read(path: str | Path, reader, **options) -> Iterator[dict | ImportProblem]:
    """Run a streaming ``reader(binary_file, name, **options)`` over the file at ``path``."""
    path = Path(path)
    f, why = open_regular(path)
    if f is None:
        yield ImportProblem(str(path), None, why)
        return
    with f:
        yield from reader(f, str(path), **options)
