"""Where Inspector keeps its files: user data, cache and log directories (platformdirs).

``INSPECTOR_HOME`` overrides all three (tests and portable installs use it).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "inspector"


def _home() -> Path | None:
    value = os.environ.get("INSPECTOR_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    home = _home()
    path = home / "data" if home else Path(platformdirs.user_data_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    home = _home()
    path = home / "cache" if home else Path(platformdirs.user_cache_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    home = _home()
    path = home / "log" if home else Path(platformdirs.user_log_dir(APP, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def resources_dir() -> Path:
    """The ``resources/`` folder (installed as ``inspector/resources``)."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("Inspector's resources/ folder is missing from the installation")


def models_dir() -> Path:
    """Prepared embedding models. ``INSPECTOR_MODEL_DIR`` overrides (shared across test runs)."""
    value = os.environ.get("INSPECTOR_MODEL_DIR")
    path = Path(value) if value else cache_dir() / "models"
    path.mkdir(parents=True, exist_ok=True)
    return path
