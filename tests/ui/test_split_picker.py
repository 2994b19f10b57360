"""Opening a Hugging Face DatasetDict folder in the window: the user picks the split (with
each split's rows shown), the choice is remembered, and Dataset ▸ Split switches."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
from PySide6.QtWidgets import QDialogButtonBox


def save_split(folder: Path, texts: list[str]) -> None:
    folder.mkdir(parents=True)
    table = pa.table({"text": texts})
    with ipc.new_stream(str(folder / "data-00000-of-00001.arrow"), table.schema) as writer:
        writer.write_table(table)
    (folder / "state.json").write_text(
        json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]})
    )
    (folder / "dataset_info.json").write_text("{}")


def dataset_dict(root: Path) -> Path:
    root.mkdir()
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "validation"]}))
    save_split(root / "train", [f"train {i}" for i in range(5)])
    save_split(root / "validation", ["val 0", "val 1"])
    return root


def test_opening_a_dataset_dict_asks_for_the_split(qtbot, make_window, tmp_path):
    folder = dataset_dict(tmp_path / "dd")
    window = make_window()
    window.open_path(folder, project_path=tmp_path / "p.sqlite")
    dialog = window.split_dialog
    assert dialog is not None and dialog.isVisible()
    rows = [dialog.list.item(k).text() for k in range(dialog.list.count())]
    assert rows[0].startswith("train") and "5 rows" in rows[0]
    assert rows[1].startswith("validation") and "2 rows" in rows[1]
    assert dialog.split() == "train"  # preselected
    dialog.choose("validation")
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open).click()
    assert window.project.dataset.sources.split == "validation"
    assert window.model.rowCount() == 2
    assert window.facts.labels["rows"].text() == "2 rows in split validation"

    # Dataset ▸ Split lists both, the open one checked; choosing the other reopens
    window.split_menu.aboutToShow.emit()
    actions = {a.text(): a for a in window.split_menu.actions()}
    assert set(actions) == {"train", "validation"}
    assert actions["validation"].isChecked() and not actions["train"].isChecked()
    assert window.split_menu.menuAction().isEnabled()
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        actions["train"].trigger()
    assert window.project.dataset.sources.split == "train" and window.model.rowCount() == 5

    # the next open preselects the split chosen last
    window.close_dataset()
    window.open_path(folder, project_path=tmp_path / "p.sqlite")
    assert window.split_dialog.split() == "train"
    window.split_dialog.reject()
    assert window.project is None and window.pending is None


def test_cancelling_the_split_opens_nothing(qtbot, make_window, tmp_path):
    window = make_window()
    window.open_path(dataset_dict(tmp_path / "dd"))
    window.split_dialog.reject()
    qtbot.wait(200)
    assert window.project is None and window.model.rowCount() == 0


def test_a_split_named_up_front_is_not_asked(qtbot, make_window, tmp_path):
    folder = dataset_dict(tmp_path / "dd")
    window = make_window(folder, split="validation", project_path=tmp_path / "p.sqlite")
    assert window.split_dialog is None
    assert window.project.dataset.sources.split == "validation"


def test_a_plain_folder_has_no_splits(qtbot, make_window, tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"text": "a"}\n')
    window = make_window(folder, project_path=tmp_path / "p.sqlite")
    assert window.split_dialog is None
    assert not window.split_menu.menuAction().isEnabled()
