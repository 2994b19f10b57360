"""The command palette, driven as a user would: Ctrl+Shift+P, type, arrows, Enter, Esc."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from inspector.ui.shell.command_palette import PALETTE_ID, RECENT_KEY, fuzzy_score, match_score

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def focus_table(qtbot, window) -> None:
    # (the offscreen platform activates a popup when it shows and may deliver that late)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
    window.table.setFocus()


def open_palette(qtbot, window):
    """Press Ctrl+Shift+P in the table, as a user would."""
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_P, CTRL_SHIFT)
    palette = window.features.command_palette
    assert palette.isVisible()
    assert palette.search.hasFocus() or palette.focusWidget() is palette.search
    return palette


def type_and_enter(qtbot, palette, text: str) -> None:
    qtbot.keyClicks(palette.search, text)
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)


def test_fuzzy_match_prefers_word_starts_and_runs():
    assert fuzzy_score("zi", "Zoom In") > fuzzy_score("zi", "Resize Image")
    assert fuzzy_score("open", "Open…") > fuzzy_score("open", "Compute Map on Open")
    assert fuzzy_score("xq", "Zoom In") is None
    assert fuzzy_score("", "anything") == 0.0
    # every word must match the title or the menu; the title counts more
    assert match_score("map fit", "Fit All", "Map") is not None
    assert match_score("map fit", "Fit All", "View") is None
    assert match_score("fit", "Fit All", "Map") > match_score("map", "Fit All", "Map")


def test_ctrl_shift_p_lists_every_action_and_enter_runs_the_match(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    assert window.current_row() == 0
    assert "Command Palette" in [
        a.text().replace("&", "") for a in window.actions.menu("Help").actions()
    ]
    palette = open_palette(qtbot, window)
    ids = {spec.id for spec in window.actions} - {PALETTE_ID}
    assert set(palette.shown_ids()) == ids
    # each row: title, menu and current keys
    row = palette.shown_ids().index("file.open")
    item = palette.list.item(row)
    assert item.text() == "Open…" and item.data(Qt.ItemDataRole.UserRole + 1) == "File"
    assert item.data(Qt.ItemDataRole.UserRole + 2) == ["Ctrl+O"]

    qtbot.keyClicks(palette.search, "next sam")
    assert palette.shown_ids()[0] == "view.next"
    assert palette.current_id() == "view.next"
    with qtbot.waitSignal(palette.ran, timeout=2000) as ran:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert ran.args == ["view.next"]
    assert not palette.isVisible()
    assert window.current_row() == 1  # the action ran: the next sample is shown

    # a menu name narrows too: "edit" + "clear" finds Edit ▸ Clear Filter
    window.filter_bar.text_box.setText("haiku")
    palette = open_palette(qtbot, window)
    assert palette.search.text() == ""  # a fresh box each time
    with qtbot.waitSignal(palette.ran, timeout=2000):
        type_and_enter(qtbot, palette, "edit clear")
    assert window.filter_bar.text_box.text() == ""


def test_greyed_actions_cannot_run_and_arrows_skip_them(qtbot, make_window):
    window = make_window()
    state = {"enabled": False}
    fired: list[str] = []
    for name in ("Alpha", "Beta", "Gamma"):
        window.actions.register(
            f"test.zeta_{name.lower()}",
            f"Zeta {name}",
            lambda n=name: fired.append(n),
            menu="Edit",
            enabled_when=(lambda: state["enabled"]) if name == "Beta" else None,
        )
    palette = open_palette(qtbot, window)
    qtbot.keyClicks(palette.search, "zeta")
    # runnable first; Beta is listed but greyed
    assert palette.shown_ids() == ["test.zeta_alpha", "test.zeta_gamma", "test.zeta_beta"]
    beta = palette.list.item(2)
    assert not beta.flags() & Qt.ItemFlag.ItemIsEnabled
    assert palette.current_id() == "test.zeta_alpha"
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.current_id() == "test.zeta_gamma"
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)  # Beta is greyed: stays on Gamma
    assert palette.current_id() == "test.zeta_gamma"
    palette.run_item(beta)  # clicking a greyed row does nothing
    assert palette.isVisible() and fired == []
    qtbot.keyClick(palette.search, Qt.Key.Key_Up)
    with qtbot.waitSignal(palette.ran, timeout=2000):
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert fired == ["Alpha"]

    # nothing runnable matches: Enter does nothing, Esc closes
    palette = open_palette(qtbot, window)
    qtbot.keyClicks(palette.search, "zeta beta")
    assert palette.shown_ids()[0] == "test.zeta_beta"
    assert palette.current_id() is None
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    qtbot.wait(20)
    assert fired == ["Alpha"] and palette.isVisible()
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()

    # once it can run, it runs
    state["enabled"] = True
    palette = open_palette(qtbot, window)
    with qtbot.waitSignal(palette.ran, timeout=2000):
        type_and_enter(qtbot, palette, "zeta beta")
    assert fired == ["Alpha", "Beta"]


def test_escape_or_the_palette_key_closes_without_running(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    palette = open_palette(qtbot, window)
    qtbot.keyClicks(palette.search, "next sam")
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()
    palette = open_palette(qtbot, window)
    qtbot.keyClick(palette.search, Qt.Key.Key_P, CTRL_SHIFT)
    assert not palette.isVisible()
    qtbot.wait(20)
    assert window.current_row() == 0
    qtbot.keyClicks(palette.search, "no such command at all")
    palette.refill()
    assert palette.shown_ids() == [] and not palette.empty.isHidden()


def test_recently_run_come_first_and_keys_follow_the_keymap(qtbot, make_window, alpaca_file):
    window = make_window(alpaca_file)
    palette = open_palette(qtbot, window)
    first = palette.shown_ids()[:2]
    assert first == ["file.open", "file.open_folder"]  # menu by menu
    for text in ("go to table", "next sample"):
        palette = open_palette(qtbot, window)
        with qtbot.waitSignal(palette.ran, timeout=2000):
            type_and_enter(qtbot, palette, text)
    palette = open_palette(qtbot, window)
    assert palette.shown_ids()[:2] == ["view.next", "view.focus_table"]
    assert json.loads(QSettings().value(RECENT_KEY))[:2] == ["view.next", "view.focus_table"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)

    # the keys shown are the ones in force (a user's own key included)
    window.actions.set_keys("file.open", ["Ctrl+Shift+Y"])
    palette = open_palette(qtbot, window)
    row = palette.shown_ids().index("file.open")
    assert palette.list.item(row).data(Qt.ItemDataRole.UserRole + 2) == ["Ctrl+Shift+Y"]
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)

    # a new window remembers what was run
    again = make_window()
    palette = open_palette(qtbot, again)
    assert palette.shown_ids()[0] == "view.next"
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)


def test_palette_key_is_remappable(qtbot, make_window):
    window = make_window()
    assert window.actions.keys(PALETTE_ID) == ["Ctrl+Shift+P"]  # resources/keymap.toml
    window.actions.set_keys(PALETTE_ID, ["Ctrl+Alt+P"])
    focus_table(qtbot, window)
    qtbot.keyClick(window.table, Qt.Key.Key_P, CTRL_SHIFT)
    assert window.features.command_palette is None
    qtbot.keyClick(
        window.table,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier,
    )
    assert window.features.command_palette.isVisible()
    qtbot.keyClick(window.features.command_palette.search, Qt.Key.Key_Escape)
