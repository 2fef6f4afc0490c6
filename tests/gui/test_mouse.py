"""Mouse: drag to select (snaps to tokens; Alt keeps exact characters), click to select a span."""
from __future__ import annotations

from PySide6.QtCore import Qt

from gui.typing_guard import BURST_MS
from tests.gui.viewprobe import drag_qt, point_at_qt

TEXT = "North Korea’s envoy met officials in Seoul on Monday."
L = Qt.MouseButton.LeftButton


def point_of(view, cp: int):
    return point_at_qt(view, view.map.to_qt(cp))


def drag(view, a: int, b: int, mods=Qt.KeyboardModifier.NoModifier) -> None:
    drag_qt(view, view.map.to_qt(a), view.map.to_qt(b), mods)


def test_drag_snaps_to_tokens_and_alt_keeps_exact(make_window, stand_in_model, qtbot, db_rows):
    w, store, ids = make_window([TEXT])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    v = w.view
    s = TEXT.index("fficials")
    drag(v, s, s + 4)                                  # "ffic" -> "officials"
    assert v.selected_range() == (s - 1, s + 8)
    qtbot.keyClick(v, Qt.Key.Key_2)
    assert (ids[0], s - 1, s + 8, "ORG", "manual") in db_rows(store.path, ids[0])
    drag(v, 0, 11, Qt.KeyboardModifier.AltModifier)   # "North Korea" without "’s"
    qtbot.keyClick(v, Qt.Key.Key_3)
    assert (ids[0], 0, 11, "GPE", "manual") in db_rows(store.path, ids[0])
    drag(v, 0, 11)                                     # without Alt, "’s" is its own token
    assert v.selected_range() == (0, 11)


def test_click_selects_a_span_and_delete_removes_it(make_window, stand_in_model, qtbot, db_rows):
    w, store, ids = make_window([TEXT])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    v = w.view
    s = TEXT.index("Seoul")
    pos = point_of(v, s + 2).toPoint()
    qtbot.mouseClick(v.viewport(), L, pos=pos)
    assert v.selected is not None and (v.selected.start, v.selected.end) == (s, s + 5)
    qtbot.keyClick(v, Qt.Key.Key_Delete)
    assert not [r for r in db_rows(store.path, ids[0]) if r[1] == s]
    qtbot.mouseClick(v.viewport(), L, pos=point_of(v, 2).toPoint())
    assert v.selected is None


def test_selections_and_resizes_never_split_a_flag_or_an_accent(make_window, stand_in_model, qtbot, db_rows):
    text = "Visitors from Berlin 🇩🇪 met Jose\u0301 in Seoul."
    w, store, ids = make_window([text])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    v = w.view
    f = text.index("🇩🇪")
    w.exact_action.trigger()
    v.select_range(text.index("Berlin"), f + 1)            # half a flag, exact mode
    qtbot.keyClick(v, Qt.Key.Key_3)
    assert (ids[0], text.index("Berlin"), f + 2, "GPE", "manual") in db_rows(store.path, ids[0])
    j = text.index("Jose")
    v.select_range(j, j + 4)                               # "Jose" without its combining accent
    qtbot.wait(BURST_MS + 50)             # a person's pause (back-to-back label keys are typing)
    qtbot.keyClick(v, Qt.Key.Key_1)
    assert (ids[0], j, j + 5, "PERSON", "manual") in db_rows(store.path, ids[0])
    w.exact_action.trigger()
    # Shrinking the end of "Berlin 🇩🇪" by a token must drop the whole flag, not half of it.
    qtbot.keyClick(v, Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    assert text[v.selected.start:v.selected.end] == "Berlin 🇩🇪"
    qtbot.keyClick(v, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert (ids[0], text.index("Berlin"), text.index("Berlin") + 6, "GPE", "manual") in db_rows(store.path, ids[0])


def test_growing_into_a_neighbour_is_refused_with_a_message(make_window, stand_in_model, qtbot, db_rows):
    text = "Officials in Seoul Tokyo agreed."
    w, store, ids = make_window([text])
    qtbot.waitUntil(lambda: store.preannotated(ids[0]) is not None, timeout=5000)
    before = db_rows(store.path, ids[0])
    messages = []
    w.annotator.message.connect(messages.append)
    qtbot.keyClick(w.view, Qt.Key.Key_Tab)                 # Seoul
    qtbot.keyClick(w.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert db_rows(store.path, ids[0]) == before
    assert messages and "“Tokyo” (GPE) is in the way" in messages[-1]
