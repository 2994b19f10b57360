"""What one window feature offers another, as typed interfaces: a feature asks the host
(:meth:`inspector.ui.common.host.Host.map_service`, ``review_service``) and gets one of these
or None, never the other feature's class."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    from PySide6.QtCore import SignalInstance

    from inspector.core.map.project_map import MapParams

# A colour source: a function of the project giving a value per dataset row (see
# inspector.ui.map.map_colours.ColourValues).
ColourSource = Callable[[Any], Any]


class MapService(Protocol):
    """The map dock (:class:`inspector.ui.map.map_panel.MapPanel`)."""

    @property
    def params(self) -> MapParams | None:
        """The params of the map shown or being made."""

    @property
    def clusters_changed(self) -> SignalInstance:
        """Fires when the map's cluster labels change."""

    def has_map(self) -> bool: ...
    def add_color_source(self, name: str, fn: ColourSource) -> None:
        """Offer "colour by ``name``"; call :meth:`refresh_colors` when its values change."""

    def refresh_colors(self) -> None: ...
    def colour_key(self) -> str | None:
        """The colour-by choice ("source:NAME" for an added source)."""

    def cluster_labels(self) -> tuple[Any, Any, Any, Any]:
        """(coarse, names_coarse, fine, names_fine): a label per row, or Nones."""

    def highlight(self) -> np.ndarray:
        """The rows semantic search found (empty when none)."""

    def set_current(self, row: int, *, reveal: bool = False) -> None: ...
    def set_selection(self, rows: np.ndarray) -> None: ...


class ReviewService(Protocol):
    """Review sessions (:class:`inspector.ui.review.review_wiring.ReviewController`)."""

    def start(self, spec: str, *, seed: int | None = None) -> Any:
        """Start a session on a queue ("unlabeled", "dups", "flag:…"); ValueError says
        what is missing."""

    def start_when_ready(self, spec: str) -> None:
        """Start once a dataset is open (and, for a cluster list, once the map has clusters)."""

    def resume_when_ready(self) -> None:
        """Resume the latest unfinished session once a dataset is open."""

    def requeue_learned(self) -> bool:
        """The quality model was retrained: an open learned list follows the new model after
        the sample on screen (True: it changed)."""

    @property
    def labels_changed(self) -> SignalInstance:
        """Fires after every label edit that changed something (an object with ``rows``,
        ``before`` and ``after``: the decision codes of the rows touched)."""

    def decision_codes(self) -> np.ndarray:
        """int8 per dataset row, kept up to date: -1 none, 0 keep, 1 drop, 2 unsure."""

    def decision_count(self, code: int) -> int:
        """Rows with decision ``code``, kept with the codes (no pass over every row)."""
