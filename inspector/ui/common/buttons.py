"""The OK/Cancel row every dialog of the window ends with."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox

Standard = QDialogButtonBox.StandardButton


def dialog_buttons(
    dialog: QDialog,
    ok: Standard = Standard.Ok,
    *,
    ok_text: str | None = None,
    on_accept: Callable[[], None] | None = None,
) -> QDialogButtonBox:
    """``ok`` (Ok, Save, Open…; renamed ``ok_text``) and Cancel: ``ok`` accepts the dialog,
    or calls ``on_accept`` (which may keep it open); Cancel rejects it."""
    box = QDialogButtonBox(ok | Standard.Cancel)
    if ok_text:
        box.button(ok).setText(ok_text)
    box.accepted.connect(on_accept or dialog.accept)
    box.rejected.connect(dialog.reject)
    return box
