"""Put the junk finders into a main window: :class:`IssuesController` (the shell installs it,
``inspector.ui.shell.features.install_issues``).

Adds the Issues dock (Find issues, Ctrl+I), runs :func:`inspector.core.junk.project_junk.run_analysis`
on the window's job runner, selects a chosen finder's rows in the table and on the map, shows
a duplicate group side by side in the sample pane, offers every flag and score as a map
colour, starts a review of a finder's list, and opens the rules and threshold dialogs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QSplitter, QStackedWidget

from inspector.core.junk import project_junk
from inspector.core.map.process import compute_map_isolated
from inspector.ui.junk.issues_panel import (
    CalibrationDialog,
    DuplicateGroupView,
    Finder,
    IssuesPanel,
    RulesDialog,
    finders_from_table,
    group_members,
)
from inspector.ui.junk.learn_wiring import LearnController
from inspector.ui.junk.why_flagged import WhyFlaggedView, row_explanation

if TYPE_CHECKING:
    from inspector.ui.common.host import Host

JOB_KIND = "issues"
PREVIEW_KIND = "issues-preview"


def quality_fields(kwargs: dict[str, Any]) -> dict[str, str]:
    """The rules' field -> column of ``project_junk.junk_frame``'s frame (as rerun_quality)."""
    roles = (
        ("prompt", "prompt_col"),
        ("response", "response_col"),
        ("chosen", "chosen_col"),
        ("rejected", "rejected_col"),
    )
    return {role: kwargs[k] for role, k in roles if kwargs.get(k)}


class IssuesController(QObject):
    """The Issues dock and its work, in the host's window."""

    def __init__(self, window: Host) -> None:
        super().__init__(window.main_window())
        self.window = window
        self.panel = IssuesPanel()
        self.dock = window.add_dock(self.panel, "Issues", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.table: pl.DataFrame | None = None
        self.result: project_junk.AnalysisResult | None = None
        self.params = project_junk.AnalysisParams()
        self.finder: Finder | None = None
        self.rules_dialog: RulesDialog | None = None
        self.calibration_dialog: CalibrationDialog | None = None
        self.last_error: BaseException | None = None
        self._colours_added: set[str] = set()
        self._rules: Any = None  # the project's rules, for the reader (loaded on first use)

        # the sample pane becomes a stack: the sample, or a duplicate group side by side;
        # under it, "Why flagged" (the current row's flags and learned score)
        self.group_view = DuplicateGroupView()
        self.sample_stack = QStackedWidget()
        self.sample_stack.setObjectName("sample_stack")
        self.why = WhyFlaggedView()
        self.why.rowLinkClicked.connect(window.set_current_row)
        self.sample_pane = QSplitter(Qt.Orientation.Vertical)
        self.sample_pane.setObjectName("sample_pane")
        splitter = window.splitter
        index = splitter.indexOf(window.sample_view)
        splitter.replaceWidget(index, self.sample_pane)
        self.sample_stack.addWidget(window.sample_view)
        self.sample_stack.addWidget(self.group_view)
        self.sample_pane.addWidget(self.sample_stack)
        self.sample_pane.addWidget(self.why)
        self.sample_pane.setStretchFactor(0, 4)
        self.sample_pane.setStretchFactor(1, 1)

        # the learned quality model: its lists join the finders, its score the reader
        self.learn = LearnController(window)
        self.learn.scoresChanged.connect(self._learned_changed)

        self.panel.findRequested.connect(self.find)
        self.panel.finderChosen.connect(self.choose)
        self.panel.reviewRequested.connect(self.review)
        self.panel.rulesRequested.connect(self.show_rules_dialog)
        self.panel.calibrateRequested.connect(self.show_calibration)
        window.datasetOpened.connect(self._opened)
        window.currentRowChanged.connect(self._current_row)
        window.datasetClosing.connect(self._closed)
        window.actions.register(
            "issues.find",
            "&Find Issues",
            self.find,
            keys=["Ctrl+I"],
            menu="Review",
            enabled_when=lambda: window.project is not None,
            tip="Find duplicates, quality problems, outliers and eval leaks",
        )
        if window.project is not None:
            self._opened(window.project)

    # -- the project -------------------------------------------------------------------------
    def _opened(self, project) -> None:
        self.result = None
        self.finder = None
        self.table = None
        self._rules = None
        try:
            self.table = project_junk.load_analysis(project)
        except Exception as exc:  # noqa: BLE001 - a stale or unreadable cache: just recompute
            self.last_error = exc
        if self.table is not None:  # a rerun uses the settings that made what is shown
            self.params = project_junk.saved_params(project)[0]
        self._show_table(
            "Last analysis (saved)." if self.table is not None else "Not analysed yet."
        )
        self.window.actions.update_enabled()

    def show_analysis(self, table: pl.DataFrame, text: str) -> None:
        """Show an analysis made elsewhere (File ▸ Open Analysis; its proposals are stored)."""
        self.result = self.finder = None
        self.table = table
        self._show_table(text)
        self._reload_review()
        self.window.actions.update_enabled()

    def _closed(self) -> None:
        self.window.jobs.cancel(JOB_KIND)
        self.window.jobs.cancel(PREVIEW_KIND)
        self.table = self.result = self.finder = self._rules = None
        self._show_table("Not analysed yet.")
        self.sample_stack.setCurrentWidget(self.window.sample_view)
        self.why.clear_explanation()

    def _show_table(self, text: str) -> None:
        finders = finders_from_table(self.table) if self.table is not None else []
        self.panel.set_finders(finders + self._learned_finders(), text)
        self.panel.calibrate_button.setEnabled(self.table is not None)
        if self.table is not None:
            self._add_colours()
        self.explain_current()

    def _learned_finders(self) -> list[Finder]:
        lists = self.learn.lists
        if lists is None or self.window.project is None:
            return []
        return [Finder(x.key, x.title, x.rows, x.key, note=x.note) for x in lists]

    def _learned_changed(self) -> None:
        """New scores (a load or a finished retrain): the learned lists and the reader."""
        self.panel.set_finders(
            [f for f in self.panel.finders if not f.is_learned] + self._learned_finders(),
            self.panel.status.text(),
        )
        if self.finder is not None and self.finder.is_learned:
            chosen = self.panel.finder(self.finder.key)
            if chosen is not None:
                self.finder = chosen
        self.explain_current()
        review = self.window.review_service()
        if review is not None:
            review.requeue_learned()

    # -- the reader: why the current row is flagged -------------------------------------------
    def explain_current(self) -> None:
        row = self.window.current_row()
        if row is None or self.window.project is None:
            self.why.clear_explanation()
            return
        self.explain(row)

    def explain(self, row: int) -> None:
        """Show ``row``'s learned score and flags (rules and learned signals) under the sample."""
        project = self.window.project
        if project is None:
            return
        table = self.table
        try:
            frame, fields = self._row_texts(project, row)
            ex = row_explanation(
                0,
                table=table.slice(row, 1) if table is not None and row < table.height else None,
                frame=frame,
                fields=fields,
                rules=self._project_rules(project),
                score=self.learn.score_of(row),
                model=self.learn.model_facts(),
                learned=self.learn.explain_row(row),
            )
            if self.learn.signal_flags is not None:
                more = row_explanation(
                    0,
                    frame=frame,
                    fields=fields,
                    signal_flags=self.learn.signal_flags.filter(pl.col("row") == row).with_columns(
                        pl.lit(0, pl.Int64).alias("row")
                    ),
                )
                ex.flags.extend(more.flags)
        except Exception as exc:  # noqa: BLE001 - the reader must not fail on one row
            self.last_error = exc
            self.why.clear_explanation()
            return
        self.why.show_explanation(ex)

    def _row_texts(self, project, row: int) -> tuple[pl.DataFrame, dict[str, str]]:
        """One row's texts as the rules saw them (junk_frame's columns, only that row)."""
        from inspector.core.data import formats

        spec = project.dataset.spec
        one = project.dataset.frame.slice(row, 1)
        exprs = [
            formats.prompt_expr(spec).cast(pl.String).fill_null("").alias("prompt"),
            formats.response_expr(spec).cast(pl.String).fill_null("").alias("response"),
        ]
        rejected = formats.rejected_expr(spec)
        fields = {"prompt": "prompt"}
        if rejected is not None:
            exprs.append(rejected.cast(pl.String).fill_null("").alias("rejected"))
            fields.update(chosen="response", rejected="rejected")
        elif spec.kind not in ("text", "generic"):
            fields["response"] = "response"
        return one.select(exprs), fields

    def _project_rules(self, project) -> Any:
        if self._rules is None:
            from inspector.core.junk.quality_rules import load_rules

            self._rules = load_rules(project_junk.project_rules_path(project))
        return self._rules

    # -- running -----------------------------------------------------------------------------
    def find(self, params: project_junk.AnalysisParams | None = None) -> None:
        """Run the analysis on the job runner (a running one is cancelled)."""
        project = self.window.project
        if project is None:
            return
        if isinstance(params, project_junk.AnalysisParams):
            self.params = params
        params = self._with_map_params(self.params)
        self.panel.set_busy("Finding issues…")
        self.window.jobs.submit(
            JOB_KIND,
            # an uncached map is computed in the map's child process, as the map dock does
            lambda p, progress: project_junk.run_analysis(
                project, p, progress, map_runner=compute_map_isolated
            ),
            params,
            label="Finding issues",
            on_done=lambda result: self._done(project, result),
            on_error=self._failed,
        )

    def _with_map_params(self, params: project_junk.AnalysisParams) -> project_junk.AnalysisParams:
        """The map's model and vectors as the window uses them (its caches are shared)."""
        panel = self.window.map_service()
        # The map shown (not the dock's current, maybe unfinished, choice); none: defaults.
        current = panel.params if panel is not None else None
        if current is not None:
            return replace(
                params,
                map=replace(params.map, model=current.model, vectors_column=current.vectors_column),
            )
        return params

    def _done(self, project, result: project_junk.AnalysisResult) -> None:
        if project is not self.window.project:
            return
        self.result = result
        self.table = result.table
        counts = result.summary()
        removed = int(result.removals()["id"].n_unique())
        self._show_table(
            f"{len(self.table):,} rows · {removed:,} proposed for removal · semantic threshold "
            f"{result.threshold:.3f} ({result.model}) · {result.seconds:.1f} s"
        )
        self.counts = counts
        self._reload_review()
        if self.finder is not None and self.panel.finder(self.finder.key) is not None:
            self.choose(self.panel.finder(self.finder.key))

    def _failed(self, exc: BaseException) -> None:
        self.last_error = exc
        self.panel.set_finders(self.panel.finders, f"Could not find issues: {exc}")

    def _reload_review(self) -> None:
        # (the review reads proposals from the store each time it starts: nothing to tell it)
        panel = self.window.map_service()
        if panel is not None:
            panel.refresh_colors()

    # -- choosing a finder -------------------------------------------------------------------
    def choose(self, finder: Finder | str) -> None:
        """Show a finder's rows in the table, select them there and on the map."""
        if isinstance(finder, str):
            self.panel.choose(finder)
            return
        self.finder = finder
        rows = finder.rows
        self.window.set_view_rows(rows)
        self.window.select_rows(rows)
        panel = self.window.map_service()
        if panel is not None and panel.has_map():
            try:
                panel.set_selection(rows)
            except Exception:  # noqa: BLE001 - the map may hold another dataset's points
                pass
        if finder.is_duplicates and len(rows):
            self.show_group(int(rows[0]))
        else:
            self.sample_stack.setCurrentWidget(self.window.sample_view)

    def show_group(self, row: int) -> None:
        """The duplicate group of ``row`` side by side in the sample pane."""
        project = self.window.project
        if project is None or self.table is None:
            return
        found = self.finder.group_list if self.finder is not None else None
        if found is None or found.group_of(row) is None:
            found = project_junk.duplicate_groups(self.table)
        members = group_members(found, row)
        if len(members) < 2:
            self.sample_stack.setCurrentWidget(self.window.sample_view)
            return
        self.group_view.show_group(project.dataset, self.table, members)
        self.sample_stack.setCurrentWidget(self.group_view)

    def _current_row(self, row: int) -> None:
        self.explain(row)
        found = self.finder.group_list if self.finder is not None else None
        if found is not None and self.table is not None and found.group_of(row) is not None:
            self.show_group(row)  # a row of the chosen finder's groups, not another finder's
            return
        self.sample_stack.setCurrentWidget(self.window.sample_view)

    def review(self, finder: Finder | None = None) -> Any:
        """Start a review session on the finder's list (duplicate groups or a flag)."""
        finder = finder or self.panel.current_finder()
        review = self.window.review_service()
        if finder is None or review is None:
            return None
        self.sample_stack.setCurrentWidget(self.window.sample_view)
        try:
            return review.start(finder.queue)
        except ValueError as exc:
            self.window.statusBar().showMessage(f"Cannot start the review: {exc}", 10_000)
            return None

    # -- map colours -------------------------------------------------------------------------
    def _add_colours(self) -> None:
        panel = self.window.map_service()
        if panel is None or self.table is None:
            return
        names: dict[str, Any] = {
            "issue: duplicate kind": self._dup_kind_colour,
            "issue: number of flags": lambda _p: self._column("n_flags"),
            "issue: outlier score": lambda _p: self._column("outlier_score"),
            "issue: eval leak": lambda _p: self._flag("eval_leak"),
        }
        for col in project_junk.flag_columns(self.table):
            names[f"issue: {col.removesuffix('.flag')}"] = lambda _p, c=col: self._flag(c)
        for name, fn in names.items():
            if name not in self._colours_added:
                panel.add_color_source(name, fn)
                self._colours_added.add(name)

    def _column(self, name: str) -> pl.Series:
        t = self.table
        if t is None or name not in t.columns:
            n = self.window.project.dataset.height if self.window.project else 0
            return pl.Series(name, [None] * n, pl.Float64)
        return t[name].cast(pl.Float64)

    def _flag(self, name: str) -> tuple[np.ndarray, dict[int, str]]:
        t = self.table
        if t is None or name not in t.columns:
            n = self.window.project.dataset.height if self.window.project else 0
            return np.full(n, -1, np.int64), {}
        return t[name].fill_null(False).cast(pl.Int64).to_numpy(), {0: "no", 1: "yes"}

    def _dup_kind_colour(self, _project) -> tuple[np.ndarray, dict[int, str]]:
        kinds = ["exact_duplicate", "minhash_duplicate", "semantic_duplicate"]
        if self.table is None:
            return np.zeros(0, np.int64), {}
        values = self.table["dup_kind"].to_list()
        codes = np.array([kinds.index(v) if v in kinds else -1 for v in values], np.int64)
        return codes, dict(enumerate(kinds))

    # -- rules -------------------------------------------------------------------------------
    def show_rules_dialog(self) -> RulesDialog | None:
        project = self.window.project
        if project is None:
            return None
        from inspector.core.junk.quality_rules import load_rules

        rules = load_rules(project_junk.project_rules_path(project))
        dialog = RulesDialog(rules, self.window.main_window())
        dialog.accepted.connect(lambda: self.apply_rules(dialog.rules()))
        dialog.previewRequested.connect(lambda r, name: self._preview(dialog, r, name))
        dialog.finished.connect(dialog.deleteLater)
        self.rules_dialog = dialog
        dialog.open()
        return dialog

    def _preview(self, dialog: RulesDialog, rules: Any, name: str) -> None:
        """A rule's first hits as edited in ``dialog``, on the job runner (a whole column)."""
        project = self.window.project
        if project is None:
            return

        def work(_params, _progress):
            from inspector.core.junk.quality import preview_rule

            frame, kwargs = project_junk.junk_frame(project)
            return preview_rule(
                frame, quality_fields(kwargs), rules, name, RulesDialog.PREVIEW_ROWS
            )

        def done(out) -> None:
            if project is self.window.project and dialog is self.rules_dialog:
                dialog.show_preview(name, *out)

        def failed(exc: BaseException) -> None:
            if dialog is self.rules_dialog:
                dialog.show_preview_error(name, str(exc))

        self.window.jobs.submit(
            PREVIEW_KIND, work, None, label="Previewing a rule", on_done=done, on_error=failed
        )

    def apply_rules(self, rules) -> None:
        """Write the project's rules TOML and rerun the quality checks only."""
        project = self.window.project
        if project is None:
            return
        project_junk.write_rules(project, rules)
        self._rules = rules
        if self.table is None:
            self.find()
            return
        table = self.table

        def work(_params, _progress):
            return project_junk.rerun_quality(project, table, rules)

        def done(out) -> None:
            if project is not self.window.project:
                return
            self.table, flags = out
            from inspector.core.export.filterfile import load_proposals, save_proposals
            from inspector.core.junk.junk import JunkResult

            old = load_proposals(project.store, [project_junk.PROPOSAL_SOURCE])
            dups = old.filter(pl.col("reason").is_in(list(project_junk.DUPLICATE_KINDS)))
            flagged = JunkResult(self.table, rules, flag_columns=flags).proposals()
            flagged = flagged.filter(
                ~pl.col("reason").is_in(list(project_junk.DUPLICATE_KINDS) + ["eval_leak"])
            ).with_columns(pl.col("group_id").cast(pl.String))
            leaks = old.filter(pl.col("reason") == "eval_leak")
            frames = [d.drop("source") for d in (dups, leaks)] + [flagged]
            save_proposals(
                project.store,
                pl.concat([f.cast(frames[0].schema) for f in frames]),  # type: ignore[arg-type]
                source=project_junk.PROPOSAL_SOURCE,
            )
            self._show_table(f"Quality rerun with {len(rules.enabled)} rules on.")
            self._reload_review()

        self.panel.set_busy("Rerunning the quality rules…")
        self.window.jobs.submit(
            JOB_KIND, work, None, label="Quality rules", on_done=done, on_error=self._failed
        )

    # -- calibration -------------------------------------------------------------------------
    def show_calibration(self) -> CalibrationDialog | None:
        """The threshold dialog for the analysis shown; after a restart (a saved analysis, no
        run in this window) the map's neighbours are read back first, on the job runner."""
        project = self.window.project
        if project is None or self.table is None:
            return None
        if self.result is not None:
            return self._open_calibration(
                project, self.table, self.result.map.knn, self.result.threshold, self.params
            )
        params, threshold = project_junk.saved_params(project)
        table = self.table

        def work(_p, progress):
            from inspector.core.map.project_map import compute_map

            return compute_map(project, project_junk.analysis_map_params(params), progress).knn

        def done(knn) -> None:
            if project is self.window.project and table is self.table:
                t = threshold if threshold is not None else self._default(params)
                self._open_calibration(project, table, knn, t, params)

        self.window.jobs.submit(
            "issues-calibrate", work, None, label="Reading the map", on_done=done,
            on_error=self._failed,
        )  # fmt: skip
        return None

    def _default(self, params: project_junk.AnalysisParams) -> float:
        return project_junk.default_threshold(params.map.model, params.map.vectors_column)

    def _open_calibration(self, project, table, knn, threshold, params) -> CalibrationDialog:
        calibration = project_junk.semantic_calibration(project, table, knn, params.dedup_on)
        dialog = CalibrationDialog(
            calibration,
            project.dataset,
            threshold,
            self._default(params),
            self.window.main_window(),
        )
        dialog.accepted.connect(
            lambda: self.find(replace(params, semantic_threshold=dialog.threshold()))
        )
        dialog.finished.connect(dialog.deleteLater)
        self.calibration_dialog = dialog
        dialog.open()
        return dialog
