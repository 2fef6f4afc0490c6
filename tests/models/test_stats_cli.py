"""`article-annotator stats`: tables, JSON and the HTML report — opened in a real headless
Chromium (Debian's package; CI installs it) and looked at."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from models import edits as E
from models.annotate import model_edit
from models.cli import main
from models.queue import connect_reader
from models.spans import Span
from models.stats_read import figures

from .test_stats import M, hand_built

HOSTILE = "Kim\x1b[2J <script>alert(1)</script> met Moon in Seoul."


def project_with_hostile_text(store):
    hand_built(store)
    (d,), _ = store.add_documents([{"text": HOSTILE, "title": "<b>x</b>"}])
    store.apply(model_edit(store, d, [(0, 7, "PERSON"), (8, 33, "ORG")], M))
    store.apply(E.relabel(d, store.spans(d)[1], "EVENT"))
    store.apply(E.add_span(d, Span(46, 51, "GPE"), store.spans(d)))
    store.apply(E.finish(d, store.spans(d), "in progress", "done", "Mark done"))


def test_json_is_the_figures_and_the_tables_say_them(store, project, capsys):
    hand_built(store)
    assert main(["stats", str(project), "--json"]) == 0
    out = capsys.readouterr().out
    conn = connect_reader(project)
    try:
        assert json.loads(out) == json.loads(json.dumps(figures(conn)))
    finally:
        conn.close()
    assert main(["stats", str(project)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"^precision\s+0\.333$", text, re.M) and re.search(r"^recall\s+0\.250$", text, re.M)
    assert re.search(r"^correction rate \(suggestions changed or deleted\)\s+66\.7%$", text, re.M)
    assert re.search(r"^ORG\s+PERSON\s+1$", text, re.M)                   # relabelled model → person
    assert re.search(r"^PERSON\s+2\s+2\s+2\s+Kim Jong Un \(1\), Moon Jae-in \(1\)$", text, re.M)
    assert re.search(r"^done\s+1$", text, re.M)


def test_terminal_output_shows_control_characters_escaped(store, project, capsys):
    project_with_hostile_text(store)
    assert main(["stats", str(project)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Kim\\x1b[2J" in out
    assert main(["stats", str(project), "--json"]) == 0
    raw = capsys.readouterr().out
    assert "\x1b" not in raw and json.loads(raw)["labels"]


def test_a_missing_project_and_an_unwritable_report_fail_clearly(tmp_path, store, project, capsys):
    assert main(["stats", str(tmp_path / "nope.annotator")]) == 2
    assert "no project file" in capsys.readouterr().err
    hand_built(store)
    assert main(["stats", str(project), "--report", str(tmp_path / "no" / "dir" / "r.html")]) == 2
    assert "the report was not written" in capsys.readouterr().err
    assert not list((tmp_path).glob("**/*.part"))


def test_the_report_is_one_self_contained_file_with_every_string_escaped(store, project, tmp_path, capsys):
    project_with_hostile_text(store)
    out = tmp_path / "report.html"
    assert main(["stats", str(project), "--report", str(out), "--json"]) == 0
    assert "report written" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 5            # status, progress, labels, the model, its fates
    assert "<script" not in page and "alert(1)" in page      # the span's text, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"""(?:src|href)\s*=\s*(?!["']?#)""", page, re.I)   # nothing from elsewhere
    assert "href=" in page                    # (the SVG's own references, inside the file)
    assert not re.search(r"url\((?!#)", page) and "@import" not in page
    assert "\x1b" not in page and "Kim\\x1b[2J" in page       # shown as on the terminal
    # 5 suggestions (2 kept), 7 final spans: precision 2/5, recall 2/7
    assert "<td class=n>0.400</td>" in page and "<td class=n>0.286</td>" in page and "<td class=n>60.0%</td>" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"), reason="no Chromium here (CI installs it)")
def test_the_report_shows_its_charts_in_a_real_browser(store, project, tmp_path):
    from PIL import Image
    assert CHROMIUM, "CI must have Chromium (.ci/run installs Debian's chromium)"
    project_with_hostile_text(store)
    out = tmp_path / "report.html"
    assert main(["stats", str(project), "--report", str(out)]) == 0
    shot = tmp_path / "shot.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1100,2600"]
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", out.as_uri()], check=True, timeout=120,
                   capture_output=True)
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", out.as_uri()], check=True, timeout=120,
                         capture_output=True, text=True).stdout
    assert dom.count("<svg") == 5 and "<script" not in dom
    img = Image.open(shot).convert("RGB")
    assert img.size == (1100, 2600)
    colours = img.getcolors(1 << 20)
    assert colours and len(colours) > 200, "a blank page"
    present = {c for _, c in colours}
    # the labels' own colours are drawn: PERSON's bars and the done status
    assert (0xaa, 0x9c, 0xfc) in present and (0x3a, 0x9d, 0x5d) in present
    # the charts are on the page, not only the tables: the first chart's area is not white
    top = img.crop((0, 100, 1100, 400))
    assert sum(n for n, c in top.getcolors(1 << 20) if c != (255, 255, 255)) > 5000
