"""One registry of the window's actions: id, title, keys, callback, enabled-when.

It feeds the menus, the keyboard shortcuts (auto-repeat off, so holding a key does not fire
an action many times), the ``?``/F1 help overlay, the command palette (``command_palette``)
and the shortcuts editor (``keymap_dialog``). Keys are data: defaults come from
``resources/keymap.toml``, a user's own keys from the settings (group ``keymap``); an action
that neither names keeps the keys it was registered with.

A feature adds its action with::

    window.actions.register("labels.reject", "Reject sample", reject, keys=["X"],
                            menu="Labels", enabled_when=lambda: window.project is not None)
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import shiboken6
import tomllib
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence, QPainter
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QVBoxLayout, QWidget

log = logging.getLogger("inspector.ui")

# Menus in the order they appear; a menu a later feature names goes before "Help".
MENU_ORDER = ("File", "Edit", "View", "Dataset", "Help")


@dataclass
class ActionSpec:
    id: str
    title: str
    callback: Callable[[], Any]
    default_keys: tuple[str, ...]
    menu: str | None
    enabled_when: Callable[[], bool] | None
    tip: str
    action: QAction


def plain_title(title: str) -> str:
    """A menu title without its ``&`` mnemonic marks (``&&`` is a literal ``&``)."""
    return re.sub(r"&(.)", r"\1", title)


def key_text(keys: Iterable[str]) -> str:
    """Keys as the platform writes them (``Ctrl+O``, ``⌘O`` on macOS), comma-separated."""
    return ", ".join(QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText) for k in keys)


def default_keymap(path: Path | None = None) -> dict[str, list[str]]:
    """The keys in ``resources/keymap.toml`` (empty if the file is missing)."""
    if path is None:
        try:
            from inspector.core.paths import resources_dir

            path = resources_dir() / "keymap.toml"
        except FileNotFoundError:
            return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("cannot read the keymap %s: %s", path, exc)
        return {}
    keys = data.get("keys", {})
    return {str(k): [str(s) for s in v] for k, v in keys.items() if isinstance(v, list)}


class ActionRegistry(QObject):
    """The window's actions. Iterating yields :class:`ActionSpec` in registration order."""

    keysChanged = Signal(str)  # action id, after set_keys / reset_keys

    def __init__(self, window: QMainWindow, keymap: dict[str, list[str]] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self._keymap = default_keymap() if keymap is None else keymap
        self._specs: dict[str, ActionSpec] = {}
        self._menus: dict[str, QMenu] = {}
        for name in MENU_ORDER:
            self.menu(name)

    # -- registering ------------------------------------------------------------------------
    def register(
        self,
        id: str,
        title: str,
        callback: Callable[[], Any],
        *,
        keys: Iterable[str] = (),
        menu: str | None = None,
        enabled_when: Callable[[], bool] | None = None,
        tip: str = "",
        separator_before: bool = False,
    ) -> QAction:
        """Add an action; its keys are the user's, else the keymap's, else ``keys``."""
        if id in self._specs:
            raise ValueError(f"action '{id}' is already registered")
        action = QAction(title, self.window)
        action.setObjectName(id)
        action.setAutoRepeat(False)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False, cb=callback: cb())
        spec = ActionSpec(id, title, callback, tuple(keys), menu, enabled_when, tip, action)
        self._specs[id] = spec
        self.window.addAction(action)  # shortcuts work even when no menu shows it
        if menu:
            m = self.menu(menu)
            if separator_before and m.actions():
                m.addSeparator()
            m.addAction(action)
        self._apply_keys(spec)
        self._update_one(spec)
        return action

    def menu(self, name: str) -> QMenu:
        """The top-level menu ``name`` (made on first use, before Help)."""
        if name in self._menus:
            return self._menus[name]
        bar = self.window.menuBar()
        menu = QMenu(f"&{name}", bar)
        menu.setObjectName(f"menu_{name.lower()}")
        help_menu = self._menus.get("Help")
        if help_menu is not None:
            bar.insertMenu(help_menu.menuAction(), menu)
        else:
            bar.addMenu(menu)
        menu.aboutToShow.connect(self.update_enabled)
        self._menus[name] = menu
        return menu

    # -- looking up -------------------------------------------------------------------------
    def __iter__(self) -> Iterator[ActionSpec]:
        return iter(list(self._specs.values()))

    def __contains__(self, id: str) -> bool:
        return id in self._specs

    def __getitem__(self, id: str) -> QAction:
        return self._specs[id].action

    def spec(self, id: str) -> ActionSpec:
        return self._specs[id]

    def trigger(self, id: str) -> None:
        """Run an action as if its key were pressed (only when it is enabled)."""
        spec = self._specs[id]
        self._update_one(spec)
        if spec.action.isEnabled():
            spec.action.trigger()

    # -- enabled state ----------------------------------------------------------------------
    def update_enabled(self) -> None:
        """Re-evaluate every action's enabled-when (call after the window's state changes)."""
        for spec in self._specs.values():
            self._update_one(spec)

    @staticmethod
    def _update_one(spec: ActionSpec) -> None:
        if spec.enabled_when is not None:
            try:
                spec.action.setEnabled(bool(spec.enabled_when()))
            except Exception:  # noqa: BLE001 - a broken predicate must not break the menu
                log.exception("enabled-when of %s failed", spec.id)
                spec.action.setEnabled(False)

    # -- keys -------------------------------------------------------------------------------
    def keys(self, id: str) -> list[str]:
        """The keys that trigger ``id`` now: the user's, else the keymap's, else its own."""
        user = self._user_keys(id)
        if user is not None:
            return user
        if id in self._keymap:
            return list(self._keymap[id])
        return list(self._specs[id].default_keys)

    def default_keys_of(self, id: str) -> list[str]:
        """The keys ``id`` has without the user's own: the keymap's, else its registered ones."""
        if id in self._keymap:
            return list(self._keymap[id])
        return list(self._specs[id].default_keys)

    def has_user_keys(self, id: str) -> bool:
        """Whether the user gave ``id`` keys of their own (kept in the settings)."""
        return self._user_keys(id) is not None

    def set_keys(self, id: str, keys: Iterable[str]) -> None:
        """Give ``id`` the user's own keys (remembered in the settings)."""
        keys = [k for k in keys if k]
        for k in keys:
            if QKeySequence(k).isEmpty():
                raise ValueError(f"'{k}' is not a key sequence Qt understands (e.g. Ctrl+Shift+K)")
        settings = QSettings()
        settings.setValue(f"keymap/{id}", json.dumps(keys))
        self._apply_keys(self._specs[id])
        self.keysChanged.emit(id)

    def reset_keys(self, id: str) -> None:
        """Forget the user's keys for ``id``: back to the default keymap."""
        QSettings().remove(f"keymap/{id}")
        self._apply_keys(self._specs[id])
        self.keysChanged.emit(id)

    def conflicts(self, pending: Mapping[str, Iterable[str]] | None = None) -> dict[str, list[str]]:
        """Key sequences bound to more than one action where both act (Qt fires neither).

        Keys that act in different places do not clash: the review view's session keys
        (attached to the view, which claims them first) may reuse the window's ``J``.
        ``pending`` gives some actions keys they do not have yet (the shortcuts editor asks
        before it saves them)."""
        seen: dict[tuple[str, frozenset[int]], list[str]] = {}
        for spec in self._specs.values():
            if pending is not None and spec.id in pending:
                seqs = [QKeySequence(k) for k in pending[spec.id] if k]
            else:
                seqs = spec.action.shortcuts()
            scope = self._scope(spec)
            for key in dict.fromkeys(s.toString() for s in seqs if not s.isEmpty()):
                seen.setdefault((key, scope), []).append(spec.id)
        out: dict[str, list[str]] = {}
        for (key, _scope), ids in seen.items():
            if len(ids) > 1:
                out.setdefault(key, []).extend(ids)
        return out

    @staticmethod
    def _scope(spec: ActionSpec) -> frozenset[int]:
        """The widgets (not menus) an action's keys act in (by C++ address: a widget made in
        C++ may get a new Python wrapper each time it is asked for)."""
        return frozenset(
            shiboken6.getCppPointer(o)[0]
            for o in spec.action.associatedObjects()
            if isinstance(o, QWidget) and not isinstance(o, QMenu)
        )

    def _user_keys(self, id: str) -> list[str] | None:
        value = QSettings().value(f"keymap/{id}")
        if value is None:
            return None
        try:
            keys = json.loads(str(value))
        except json.JSONDecodeError:
            return None
        return [str(k) for k in keys] if isinstance(keys, list) else None

    def _apply_keys(self, spec: ActionSpec) -> None:
        seqs = [QKeySequence(k) for k in self.keys(spec.id)]
        spec.action.setShortcuts([s for s in seqs if not s.isEmpty()])
        for key, ids in self.conflicts().items():
            if spec.id in ids:
                log.warning("key %s is bound to %s; Qt will fire none of them", key, ids)

    # -- help -------------------------------------------------------------------------------
    def in_menu_order(self) -> list[ActionSpec]:
        """Every action, menu by menu as the menu bar shows them (then those in no menu)."""
        bar = [a.menu() for a in self.window.menuBar().actions()]
        menus = sorted(self._menus.items(), key=lambda kv: bar.index(kv[1]) if kv[1] in bar else 99)
        order = {name: i for i, (name, _menu) in enumerate(menus)}
        place = {name: menu.actions() for name, menu in menus}

        def where(spec: ActionSpec) -> tuple[int, int]:
            acts = place.get(spec.menu or "", [])
            return (
                order.get(spec.menu or "", len(order)),
                acts.index(spec.action) if spec.action in acts else len(acts),
            )

        return sorted(self._specs.values(), key=where)

    def help_rows(self) -> list[tuple[str, str, str]]:
        """(menu, title, keys) for every action, in menu order: what the help overlay lists."""
        rows = []
        for spec in self.in_menu_order():
            keys = ", ".join(
                s.toString(QKeySequence.SequenceFormat.NativeText) for s in spec.action.shortcuts()
            )
            title = spec.title.replace("&", "").rstrip(".…")
            rows.append((spec.menu or "Other", title, keys))
        return rows


class HelpOverlay(QWidget):
    """A translucent sheet over the window listing every action and its keys.

    ``?`` or F1 shows it; Esc, ``?``, F1 or a click hides it.
    """

    def __init__(self, registry: ActionRegistry, parent: QWidget) -> None:
        super().__init__(parent)
        self.registry = registry
        self.setObjectName("help_overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 40, 40, 40)
        self.label = QLabel()
        self.label.setObjectName("help_sheet")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setStyleSheet(
            "#help_sheet { background: #ffffff; color: #1f2937; border-radius: 8px;"
            " padding: 18px 24px; }"
        )
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignCenter)
        parent.installEventFilter(self)
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.open()

    def open(self) -> None:
        self.label.setText(self.html())
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.setFocus()

    def html(self) -> str:
        sections: dict[str, list[tuple[str, str]]] = {}
        for menu, title, keys in self.registry.help_rows():
            sections.setdefault(menu, []).append((title, keys))
        columns = []
        for menu, rows in sections.items():
            body = "".join(
                f"<tr><td style='padding:2px 16px 2px 0'>{escape(t)}</td>"
                f"<td style='padding:2px 0'><b><code>{escape(k) or '—'}</code></b></td></tr>"
                for t, k in rows
            )
            columns.append(
                f"<td valign='top' style='padding-right:28px'>"
                f"<p style='font-size:13pt; color:#2563eb'><b>{escape(menu)}</b></p>"
                f"<table cellspacing='0'>{body}</table></td>"
            )
        # Two rows of columns keep the sheet from growing wider than the window.
        half = (len(columns) + 1) // 2
        grid = "".join(f"<tr>{''.join(row)}</tr>" for row in (columns[:half], columns[half:]))
        more = ""
        if "help.command_palette" in self.registry:
            keys = (
                self.registry["help.command_palette"]
                .shortcut()
                .toString(QKeySequence.SequenceFormat.NativeText)
            )
            more = (
                f" {escape(keys) or 'Help ▸ Command Palette'} finds any command by name;"
                " Help ▸ Edit Keyboard Shortcuts… changes the keys."
            )
        return (
            "<p style='font-size:15pt'><b>Keyboard shortcuts</b></p>"
            f"<table cellspacing='0'>{grid}</table>"
            f"<p style='color:#6b7280'>Press Esc, ? or F1 to close.{more}</p>"
        )

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(17, 24, 39, 150))
        painter.end()
        super().paintEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_Question, Qt.Key.Key_F1):
            self.hide()
            event.accept()
            return
        super().keyPressEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.hide()
        event.accept()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        parent = self.parentWidget()
        if obj is parent and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(parent.rect())
        return False
