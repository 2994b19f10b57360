"""Semantic search: the samples nearest in meaning to a typed query, or to the current sample
("more like this").

The query is embedded with the model the map was made with and compared with the map's
vectors (in the background: loading a model can take seconds). The hits are listed with
their similarity, lit on the map, and become the table's rows until the search is cleared.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core.jobs import Progress
from inspector.core.map.models import load_embedder
from inspector.core.map.search import nearest

if TYPE_CHECKING:
    from inspector.ui.common.host import Host
    from inspector.ui.map.map_panel import MapPanel

JOB_KIND = "search"
SEARCH_K = 100  # hits listed, lit on the map and shown in the table
ROW = Qt.ItemDataRole.UserRole


@dataclass(frozen=True)
class SearchRequest:
    vectors: np.ndarray  # the map's vectors (n, dim)
    k: int
    query: str = ""  # embedded with ``model`` …
    model: str = ""
    identity: str = ""  # … which must be the map's model
    row: int = -1  # … or the vector of this row (more like this)


@dataclass(frozen=True)
class SearchHits:
    rows: np.ndarray  # nearest first
    scores: np.ndarray  # cosine similarity


def run_search(request: SearchRequest, progress: Progress) -> SearchHits:
    """The ``k`` rows nearest the query (or the row, which is left out of its own hits)."""
    progress.status("searching")
    vectors = request.vectors
    if request.row >= 0:
        query = np.asarray(vectors[request.row : request.row + 1], dtype=np.float32)
        k = request.k + 1
    else:
        embedder = load_embedder(request.model, progress)
        if request.identity and embedder.identity != request.identity:
            raise ValueError(
                f"the map was made with another version of “{request.model}”; compute the "
                "map again (Ctrl+M) to search it"
            )
        query = embedder.encode([request.query])
        k = request.k
        progress.check()
    rows, scores = nearest(query, vectors, k)
    rows, scores = np.asarray(rows)[0], np.asarray(scores)[0]
    keep = (rows >= 0) & (rows != request.row)
    return SearchHits(rows[keep][: request.k].astype(np.int64), scores[keep][: request.k])


class _QueryBox(QLineEdit):
    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class SearchPanel(QWidget):
    """A query box over a list of hits (score, preview)."""

    wantsFocus = Signal()  # the dock should come forward
    searched = Signal(object)  # SearchHits, once shown

    def __init__(self, host: Host, map_panel: MapPanel) -> None:
        super().__init__()
        self.setObjectName("search_panel")
        self.host = host
        self.map_panel = map_panel
        self.hits: SearchHits | None = None
        self._filtered_by_search = False

        self.query_box = _QueryBox()
        self.query_box.setObjectName("search_query")
        self.query_box.setPlaceholderText("Search by meaning…")
        self.query_box.setClearButtonEnabled(True)
        self.query_box.returnPressed.connect(self.search)
        self.query_box.escaped.connect(self.clear)
        self.clear_button = QToolButton()
        self.clear_button.setText("Clear")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setToolTip("Forget the hits and show every row again")
        self.clear_button.clicked.connect(self.clear)
        top = QHBoxLayout()
        top.setContentsMargins(6, 6, 6, 2)
        top.setSpacing(4)
        top.addWidget(self.query_box, 1)
        top.addWidget(self.clear_button)

        self.info = QLabel()
        self.info.setObjectName("search_info")
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color: #6b7280; padding: 0 8px;")
        self.results = QTreeWidget()
        self.results.setObjectName("search_results")
        self.results.setHeaderLabels(["Score", "Sample"])
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setAlternatingRowColors(True)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.results.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.results.currentItemChanged.connect(self._on_result)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.results, 1)
        self._say("Type what you are looking for and press Enter.")

        map_panel.mapCleared.connect(self._forget)
        host.datasetOpened.connect(lambda _p: self._forget())

    # -- searching --------------------------------------------------------------------------
    def focus_query(self) -> None:
        self.wantsFocus.emit()
        self.query_box.setFocus()
        self.query_box.selectAll()

    def search(self, text: str | None = None) -> None:
        """Find the samples nearest in meaning to ``text`` (default: the query box)."""
        if text is not None:
            self.query_box.setText(text)
        text = self.query_box.text().strip()
        if not text:
            self.clear()
            return
        panel = self.map_panel
        vectors, params = panel.vectors, panel.vectors_params
        if vectors is None or params is None:
            self._say("The map is not ready yet: compute it first (Ctrl+M).")
            return
        if params.vectors_column:
            self._say(
                f"This map's vectors come from the column “{params.vectors_column}”, so a typed "
                "query cannot be embedded; use More like this (Ctrl+L), or compute the map with "
                "a model."
            )
            return
        identity = getattr(panel.result, "model_identity", "") if panel.result else ""
        request = SearchRequest(
            vectors, SEARCH_K, query=text, model=params.model, identity=str(identity or "")
        )
        self._say(f"Searching for “{text}”…")
        self._submit(request, f"nearest to “{text}”", keep=None)

    def more_like_this(self, row: int | None = None) -> None:
        """The samples nearest the current one (``row``, if given)."""
        row = self.host.current_row() if row is None else row
        vectors, knn = self.map_panel.vectors, self.map_panel.knn
        if row is None:
            return
        if vectors is None and knn is None:
            self._say("The map is not ready yet: compute it first (Ctrl+M).")
            return
        self.wantsFocus.emit()
        label = f"like #{row + 1}"
        if vectors is None or not 0 <= row < len(vectors):
            if knn is None or not 0 <= row < len(knn[0]):
                return
            hits = SearchHits(np.asarray(knn[0][row], np.int64), np.asarray(knn[1][row]))
            self._show(hits, label, keep=row)
            return
        self._submit(SearchRequest(vectors, SEARCH_K, row=row), label, keep=row)

    def _submit(self, request: SearchRequest, label: str, keep: int | None) -> None:
        project = self.host.project
        self.host.jobs.submit(
            JOB_KIND,
            run_search,
            request,
            label="Searching",
            on_done=lambda hits: self._done(project, hits, label, keep),
            on_error=self._failed,
        )

    def _done(self, project: Any, hits: SearchHits, label: str, keep: int | None) -> None:
        if project is not self.host.project or self.map_panel.vectors is None:
            return
        self._show(hits, label, keep)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, ValueError | OSError | ImportError):
            raise exc
        self._say(f"Search failed: {exc}")

    # -- showing ----------------------------------------------------------------------------
    def _show(self, hits: SearchHits, label: str, keep: int | None) -> None:
        project = self.host.project
        if project is None:
            return
        self.hits = hits
        dataset = project.dataset
        self.results.blockSignals(True)
        self.results.clear()
        items = []
        for row, score in zip(hits.rows.tolist(), hits.scores.tolist()):
            item = QTreeWidgetItem([f"{score:.2f}", dataset.preview(row, 300)])
            item.setData(0, ROW, row)
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight)
            items.append(item)
        self.results.addTopLevelItems(items)
        self.results.blockSignals(False)
        params = self.map_panel.vectors_params
        how = f" · {params.model}" if params is not None and not params.vectors_column else ""
        self._say(f"{len(hits.rows)} samples {label}{how}")
        self.map_panel.view.set_highlight(hits.rows)
        # the sample asked about first, then the hits best first (not in file order)
        order = (
            hits.rows if keep is None else np.concatenate([[keep], hits.rows[hits.rows != keep]])
        )
        view_rows = order.astype(np.int64)
        self._filtered_by_search = True
        self.host.set_view_rows(view_rows)
        self.host.set_current_row(int(keep if keep is not None else hits.rows[0]))
        self.searched.emit(hits)

    def clear(self) -> None:
        """Forget the hits: the map unlit, the table back to the filter's rows."""
        self.query_box.clear()
        self._forget()
        if self._filtered_by_search and self.host.project is not None:
            current = self.host.current_row()
            self.host.apply_filter()  # the rows the filter (if any) gives
            if current is not None:
                self.host.set_current_row(current)
        self._filtered_by_search = False

    def _forget(self) -> None:
        self.host.jobs.cancel(JOB_KIND)
        self.hits = None
        self.results.clear()
        self.map_panel.view.set_highlight(np.empty(0, np.int64))
        self._say("Type what you are looking for and press Enter.")

    def _say(self, text: str) -> None:
        self.info.setText(text)

    def _on_result(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self.host.set_current_row(int(item.data(0, ROW)))

    def result_rows(self) -> list[int]:
        """The rows listed, in order (tests and the window)."""
        return [
            int(self.results.topLevelItem(i).data(0, ROW))
            for i in range(self.results.topLevelItemCount())
        ]
