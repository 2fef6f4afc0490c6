"""Entities in the window: Ctrl+K links the selected span to an entity (``link_dialog``), the
"Linked entities" panel (``entity_panel``) lists them; Ctrl+Shift+K shows it and puts the
focus in its filter. Every change goes through the session's one write path (undoable)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from gui.features.entity_panel import EntityDialog, EntityPanel
from gui.features.link_dialog import NEW, UNLINK, LinkDialog
from models.display import shown
from models.edits import ChangeEntities


def install(w) -> None:
    panel = EntityPanel(w.store, w)
    dock = QDockWidget("Linked entities", w)
    dock.setObjectName("linked_entities")
    dock.setWidget(panel)
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    w.tabifyDockWidget(w.spans_dock, dock)
    w.spans_dock.raise_()
    w.entity_panel, w.entity_dock = panel, dock
    reg = w.registry
    link = reg.add("link_entity", "Link span to an entity…", lambda: link_selected(w), "Ctrl+K",
                   "Name the selected span as an entity (an existing one or a new one), so its "
                   "other spellings are one identity", edits=True)
    w.menus["edit"].addSeparator()
    w.menus["edit"].addAction(link)
    w.menus["view"].addAction(reg.adopt("show_linked_entities", dock.toggleViewAction(), edits=False))
    w.menus["view"].addAction(reg.add("focus_linked_entities", "Find an entity…",
                                      lambda: _focus(dock, panel), "Ctrl+Shift+K", edits=False))
    panel.mention_chosen.connect(lambda doc, start, end: open_mention(w, doc, start, end))
    panel.edit_requested.connect(lambda e: edit_entity(w, e))
    panel.delete_requested.connect(lambda e: delete_entity(w, e))
    w.session.changed.connect(lambda out, _focus: panel.refresh())
    w.session.reloaded.connect(panel.refresh)
    dock.visibilityChanged.connect(lambda shown_: shown_ and panel.refresh())
    panel.refresh()


def _focus(dock, panel) -> None:
    dock.show()
    dock.raise_()
    panel.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
    panel.filter.selectAll()


def link_selected(w) -> None:
    s, span = w.session, w.view.selected
    if s.doc is None:
        return
    if span is None:
        w.statusBar().showMessage("Select a span first (Tab, or click it), then Ctrl+K links it "
                                  "to an entity.", 5000)
        return
    store = w.store
    current = store.entity(span.entity) if span.entity else None
    choice = LinkDialog.ask(w, words=s.doc.text[span.start:span.end], label=span.label,
                            entities=store.entities(), aliases=store.entity_aliases(),
                            counts=store.entity_counts(), current=current,
                            next_id=store.next_entity_id())
    w.activateWindow()
    w.view.setFocus()               # back in the article: the keys go on from the span
    if choice is None:
        return
    if choice.kind == UNLINK:
        done = s.link(span, None)
    else:
        done = s.link(span, choice.entity, new=choice.kind == NEW)
    if done:
        w.statusBar().showMessage(shown(s.last_step), 5000)
        if choice.kind != UNLINK:
            w.entity_panel.refresh()
            w.entity_panel.choose(choice.entity.id)


def open_mention(w, doc_id: int, start: int, end: int) -> None:
    if not w.open_document(doc_id):
        return
    found = next((sp for sp in w.session.spans if (sp.start, sp.end) == (start, end)), None)
    if found is not None:
        w.annotator.select(found)
        w.view.setFocus()


READ_ONLY = "Read-only: entities cannot be changed in this window"


def edit_entity(w, entity) -> None:
    if w.store.readonly:
        w.statusBar().showMessage(READ_ONLY, 6000)
        return
    taken = {e.kb_id for e in w.store.entities() if e.kb_id and e.id != entity.id}
    new = EntityDialog.ask(w, entity, taken)
    if new is not None and new != entity:
        w.session.push(ChangeEntities(w.session.doc.id if w.session.doc else None, (entity,), (new,),
                                      f"Change entity “{entity.name}”"), None)


def delete_entity(w, entity) -> None:
    if w.store.readonly:
        w.statusBar().showMessage(READ_ONLY, 6000)
        return
    if w.store.entity_counts().get(entity.id):
        w.statusBar().showMessage(shown(f"“{entity.name}” is named by spans: unlink them first "
                                        "(Ctrl+K on a span), then delete it."), 6000)
        return
    w.session.push(ChangeEntities(w.session.doc.id if w.session.doc else None, (entity,), (),
                                  f"Delete entity “{entity.name}”"), None)
