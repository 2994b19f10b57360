"""Help ▸ Edit Keyboard Shortcuts…, driven as a user would: filter, pick, press a key, OK."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from inspector.ui.shell.features import install_review
from inspector.ui.shell.keymap_dialog import KEYS_COL, normalise

LEFT = Qt.MouseButton.LeftButton
CTRL = Qt.KeyboardModifier.ControlModifier


def activate(qtbot, window) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)


def open_editor(qtbot, window):
    """Help ▸ Edit Keyboard Shortcuts… (through the command palette, keys only)."""
    activate(qtbot, window)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_P, CTRL | Qt.KeyboardModifier.ShiftModifier)
    palette = window.features.command_palette
    qtbot.keyClicks(palette.search, "edit keyboard")
    assert palette.current_id() == "help.edit_keys"
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.features.keymap_dialog is not None, timeout=2000)
    dialog = window.features.keymap_dialog
    qtbot.waitExposed(dialog)
    return dialog


def pick(qtbot, dialog, filter_text: str, id_: str) -> None:
    """Type in the filter box and click the action's row."""
    dialog.filter.clear()
    qtbot.keyClicks(dialog.filter, filter_text)
    item = dialog._items[id_]
    assert not item.isHidden()
    rect = dialog.tree.visualItemRect(item)
    qtbot.mouseClick(dialog.tree.viewport(), LEFT, pos=rect.center())
    assert dialog.current_id() == id_


def record(qtbot, edit, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.mouseClick(edit, LEFT)
    qtbot.keyClick(edit, key, modifier)


def click(qtbot, dialog, which) -> None:
    qtbot.mouseClick(dialog.buttons.button(which), LEFT)


def test_new_key_works_at_once_is_saved_and_a_new_window_has_it(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    assert "Edit Keyboard Shortcuts…" in [
        a.text().replace("&", "") for a in window.actions.menu("Help").actions()
    ]
    dialog = open_editor(qtbot, window)
    # every action is listed with its menu and keys
    assert set(dialog._items) == {spec.id for spec in window.actions}
    assert dialog._items["file.open"].text(KEYS_COL) == "Ctrl+O"
    pick(qtbot, dialog, "next sample", "view.next")
    assert [i for i, it in dialog._items.items() if not it.isHidden()] == ["view.next"]
    assert dialog.key_edit.keySequence().toString() == "J"
    assert dialog.default_label.text() == "Default: J"
    record(qtbot, dialog.key_edit, Qt.Key.Key_N)
    record(qtbot, dialog.alt_edit, Qt.Key.Key_Exclam, Qt.KeyboardModifier.ShiftModifier)
    assert dialog.keys_of("view.next") == ["N", "!"]  # Shift is part of typing "!"
    item = dialog._items["view.next"]
    assert item.text(KEYS_COL) == "N, !" and item.font(KEYS_COL).bold()
    assert window.actions.keys("view.next") == ["J"]  # nothing saved before OK
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)

    assert window.actions.keys("view.next") == ["N", "!"]
    assert json.loads(QSettings().value("keymap/view.next")) == ["N", "!"]
    activate(qtbot, window)
    window.table.setFocus()
    assert window.current_row() == 0
    qtbot.keyClick(window.table, Qt.Key.Key_J)  # the old key is gone
    assert window.current_row() == 0
    qtbot.keyClick(window.table, Qt.Key.Key_N)
    assert window.current_row() == 1
    # (the offscreen keyboard sends "!" without the Shift a real keyboard needs for it)
    qtbot.keyClick(window.table, Qt.Key.Key_Exclam)
    assert window.current_row() == 2
    # the help overlay and a new window show the user's keys
    assert "N, !" in window.help_overlay.html()
    again = make_window()
    assert again.actions.keys("view.next") == ["N", "!"]
    assert again.actions["view.next"].shortcuts()[0].toString() == "N"


def test_conflicts_are_flagged_before_saving_and_cancel_changes_nothing(
    qtbot, make_window, alpaca_file
):
    window = make_window(alpaca_file)
    dialog = open_editor(qtbot, window)
    assert dialog.conflict_label.isHidden()  # the default keymap has none
    pick(qtbot, dialog, "next sa", "view.next")
    record(qtbot, dialog.key_edit, Qt.Key.Key_O, CTRL)  # File ▸ Open's key
    assert not dialog.conflict_label.isHidden()
    text = dialog.conflict_label.text()
    assert "Ctrl+O" in text and "File ▸ Open" in text and "View ▸ Next Sample" in text
    for id_ in ("view.next", "file.open"):
        item = dialog._items[id_]
        assert item.foreground(KEYS_COL).color().name() == "#b91c1c"
        assert not item.icon(KEYS_COL).isNull()
    assert "File ▸ Open" in dialog._items["view.next"].toolTip(KEYS_COL)
    assert dialog._items["edit.find"].icon(KEYS_COL).isNull()
    # the filter finds every action on a key
    dialog.filter.clear()
    qtbot.keyClicks(dialog.filter, "ctrl+o")
    shown = {i for i, it in dialog._items.items() if not it.isHidden()}
    assert shown == {"file.open", "view.next"}
    # Clear takes the key away again: no conflict left
    qtbot.mouseClick(dialog.clear_button, LEFT)
    assert dialog.keys_of("view.next") == [] and dialog.conflict_label.isHidden()
    assert dialog.key_edit.keySequence().isEmpty()

    click(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert window.actions.keys("view.next") == ["J"]
    assert QSettings().value("keymap/view.next") is None
    activate(qtbot, window)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    assert window.current_row() == 1


def test_reset_to_default_forgets_the_users_key(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    window.actions.set_keys("file.open", ["Ctrl+Shift+Y"])
    window.actions.set_keys("view.next", [])
    dialog = open_editor(qtbot, window)
    assert dialog._items["file.open"].text(KEYS_COL) == "Ctrl+Shift+Y"
    assert "default: Ctrl+O" in dialog._items["file.open"].toolTip(KEYS_COL)
    pick(qtbot, dialog, "open", "file.open")
    qtbot.mouseClick(dialog.reset_button, LEFT)
    assert dialog.key_edit.keySequence().toString() == "Ctrl+O"
    assert not dialog._items["file.open"].font(KEYS_COL).bold()
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert QSettings().value("keymap/file.open") is None  # back to resources/keymap.toml
    assert window.actions["file.open"].shortcut().toString() == "Ctrl+O"
    assert window.actions.keys("view.next") == []  # not touched

    # Reset All puts every action back
    dialog = open_editor(qtbot, window)
    click(qtbot, dialog, QDialogButtonBox.StandardButton.RestoreDefaults)
    assert dialog.keys_of("view.next") == ["J"]
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    assert not [k for k in QSettings().allKeys() if k.startswith("keymap/")]
    assert window.actions.keys("view.next") == ["J"]


def test_session_keys_change_inside_a_running_session(qtbot, make_window, tmp_path: Path):
    rows = [{"id": f"s{i}", "instruction": f"Question {i}", "output": f"{i}"} for i in range(6)]
    data = tmp_path / "qa.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    window = make_window()
    review = install_review(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(data, project_path=tmp_path / "project.sqlite")
    # J is Next Sample in the window and Next in a session: not a conflict
    assert window.actions.conflicts() == {}
    dialog = open_editor(qtbot, window)
    assert dialog.conflict_label.isHidden()
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)

    activate(qtbot, window)
    session = review.start("all")
    assert QApplication.focusWidget() is review.view
    dialog = open_editor(qtbot, window)
    pick(qtbot, dialog, "review keep", "review.keep")
    assert dialog.keys_of("review.keep") == ["A"]  # from the label set
    record(qtbot, dialog.key_edit, Qt.Key.Key_Q)
    # Q in the session is no conflict with anything in the window
    assert dialog.conflict_label.isHidden()
    record(qtbot, dialog.key_edit, Qt.Key.Key_X)  # but X is the session's Drop
    assert "Review ▸" in dialog.conflict_label.text()
    record(qtbot, dialog.key_edit, Qt.Key.Key_Q)
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    activate(qtbot, window)
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_A)  # no longer Keep
    assert session.index == 0
    qtbot.keyClick(review.view, Qt.Key.Key_Q)
    assert session.index == 1
    assert review.hub.book.state("s0").decision == "keep"


def test_normalise_keys():
    assert normalise(["ctrl+k", "", "Ctrl+K", "F5"]) == ["Ctrl+K", "F5"]
