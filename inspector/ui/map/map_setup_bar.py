"""The bar above the map that says what a map is made from: the embedding model (a built-in
one, one from the models folder or a name or path typed in) or a column of vectors already in
the data, the text to embed, and the "Compute map" button."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import polars as pl
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QWidget

from inspector.core.map.project_map import MapParams

if TYPE_CHECKING:
    from inspector.core.project import Project

log = logging.getLogger("inspector.ui")

DOWNLOAD_SETTING = "models/allow_download"

BUILTIN_MODELS = (
    ("default", "static model2vec model distilled from all-MiniLM-L6-v2 (offline, fast)"),
    ("minilm", "all-MiniLM-L6-v2 sentence-transformers model (offline, slower)"),
)


TEXT_LABEL = "the text"  # plain text's one text choice


def is_vector_column(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List | pl.Array) and dtype.inner.is_numeric()


class ModelCombo(QComboBox):
    """A combo box that says when its list is about to open (to fill it then)."""

    aboutToShowPopup = Signal()

    def showPopup(self) -> None:  # noqa: N802 - Qt override
        self.aboutToShowPopup.emit()
        super().showPopup()


def _downloads_setting() -> bool:
    """The saved choice, applied to this process (and the map's worker, through the
    environment); an opt-in already in the environment counts too."""
    from inspector.core.map import models

    saved = str(QSettings().value(DOWNLOAD_SETTING, "false")).lower() == "true"
    if saved:
        models.set_downloads_allowed(True)
    return models.downloads_allowed()


def _set_downloads_setting(allowed: bool) -> None:
    from inspector.core.map import models

    models.set_downloads_allowed(allowed)
    QSettings().setValue(DOWNLOAD_SETTING, "true" if allowed else "false")


class MapSetupBar(QWidget):
    """The model and text choices and the Compute map button (its owner connects the button)."""

    def __init__(self) -> None:
        super().__init__()
        self.model_combo = ModelCombo()
        self.model_combo.setObjectName("map_model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setMinimumContentsLength(10)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo.setToolTip(
            "The embedding model: default (fast, offline), minilm (slower, better), a model "
            "folder or a Hugging Face name (from the local cache, or downloaded with Allow "
            "downloads) — or a column of vectors already in the data"
        )
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.field_combo = QComboBox()
        self.field_combo.setObjectName("map_field")
        self.field_combo.setToolTip("Which text is embedded")
        # Off unless the user ticks it (remembered): a typed Hugging Face name is then fetched.
        self.download_box = QCheckBox("Allow downloads")
        self.download_box.setObjectName("map_allow_download")
        self.download_box.setToolTip(
            "Let a Hugging Face model name that is not on this computer be downloaded from "
            "the hub. Off: only built-in models, model folders and the local cache are used."
        )
        self.download_box.setChecked(_downloads_setting())
        self.download_box.toggled.connect(_set_downloads_setting)
        self.compute_button = QPushButton("Compute map")
        self.compute_button.setObjectName("map_compute")
        self.compute_button.setDefault(True)

        setup = QHBoxLayout(self)
        setup.setContentsMargins(6, 4, 6, 2)
        setup.setSpacing(4)
        setup.addWidget(QLabel("Model"))
        setup.addWidget(self.model_combo, 2)
        setup.addWidget(self.download_box)
        setup.addSpacing(6)
        setup.addWidget(QLabel("Text"))
        setup.addWidget(self.field_combo, 1)
        setup.addSpacing(6)
        setup.addWidget(self.compute_button)

    def fill_choices(self, project: Project) -> None:
        """The models and texts ``project`` offers, set to the last choice (from the settings)."""
        self.fill_models(project, scan=False)
        frame = project.dataset.frame
        self.field_combo.clear()
        if project.dataset.spec.kind == "text":  # one text per row: its prompt side is the text
            choices = [(TEXT_LABEL, "prompt")]
        else:
            choices = [("prompt", "prompt"), ("response", "response"), ("all", "all")]
        for label, value in choices:
            self.field_combo.addItem(label, value)
        for column in project.dataset.user_columns:
            dtype = frame.schema[column]
            if dtype == pl.String or (isinstance(dtype, pl.List) and not is_vector_column(dtype)):
                self.field_combo.addItem(f"column “{column}”", column)
        settings = QSettings()
        self.set_params(
            MapParams(
                model=str(settings.value("map/model", "default")),
                embed_field=str(settings.value("map/embed_field", "prompt")),
            )
        )

    def fill_models(self, project: Project | None, scan: bool) -> None:
        """The built-in models, those found in the models folder (``scan``: looking there takes
        a moment, so only when the list is opened) and the data's vector columns."""
        combo = self.model_combo
        text, data = combo.currentText(), combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        infos = []
        if scan:
            from inspector.core.map import models

            try:
                infos = models.list_models()
            except Exception:  # noqa: BLE001 - a broken model folder must not break the list
                log.exception("cannot list the models")
        for name, tip in BUILTIN_MODELS:
            combo.addItem(name, f"model:{name}")
            combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        for info in infos:
            if combo.findData(f"model:{info.name}") < 0:
                combo.addItem(info.name, f"model:{info.name}")
                combo.setItemData(combo.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        if project is not None:
            frame = project.dataset.frame
            for column in project.dataset.user_columns:
                if is_vector_column(frame.schema[column]):
                    combo.addItem(f"vectors in “{column}”", f"vectors:{column}")
        i = combo.findData(data) if data else -1
        if i >= 0:
            combo.setCurrentIndex(i)
        elif text:
            combo.setEditText(text)
        combo.blockSignals(False)

    def set_params(self, params: MapParams) -> None:
        """Show ``params`` in the model and text choices."""
        if params.vectors_column:
            i = self.model_combo.findData(f"vectors:{params.vectors_column}")
            if i < 0:
                self.model_combo.addItem(
                    f"vectors in “{params.vectors_column}”", f"vectors:{params.vectors_column}"
                )
                i = self.model_combo.count() - 1
            self.model_combo.setCurrentIndex(i)
        else:
            i = self.model_combo.findData(f"model:{params.model}")
            if i >= 0:
                self.model_combo.setCurrentIndex(i)
            else:
                self.model_combo.setEditText(params.model)
        j = self.field_combo.findData(params.embed_field or "prompt")
        if j < 0 and params.embed_field:  # a choice this dataset's list lacks (an older map)
            self.field_combo.addItem(params.embed_field, params.embed_field)
            j = self.field_combo.count() - 1
        self.field_combo.setCurrentIndex(max(j, 0))
        self._model_changed()

    def chosen_params(self) -> MapParams:
        """The params the choices describe now (a typed model name or path counts)."""
        text = self.model_combo.currentText().strip()
        column = self._chosen_vectors()
        if (
            column is not None
            and self.model_combo.itemText(self.model_combo.currentIndex()) == text
        ):
            return MapParams(vectors_column=column)
        field = self.field_combo.currentData() or "prompt"
        return MapParams(model=text or "default", embed_field=field)

    def field_label(self, value: str) -> str:
        """What the text choice ``value`` is called for this dataset ("the text" for plain
        text's "prompt")."""
        i = self.field_combo.findData(value)
        return self.field_combo.itemText(i) if i >= 0 else value

    def _model_changed(self, *_args: object) -> None:
        self.field_combo.setEnabled(self._chosen_vectors() is None)

    def _chosen_vectors(self) -> str | None:
        data = str(self.model_combo.currentData() or "")
        return data[len("vectors:") :] if data.startswith("vectors:") else None
