"""Where transformer models come from: the Hugging Face cache, a download the user opted into,
and the check that PyTorch and sentence-transformers are installed before either (the
standalone bundle leaves them out). Used by :mod:`inspector.core.map.models`, which
re-exports these names."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from inspector.core.errors import DataError

ALLOW_DOWNLOAD_ENV = "INSPECTOR_ALLOW_DOWNLOAD"
ALLOW_DOWNLOAD_FLAG = "--allow-download"
# What a sentence-transformers model needs; other formats in a hub repository stay behind.
DOWNLOAD_IGNORE = ["*.onnx", "onnx/*", "openvino/*", "*.h5", "*.msgpack", "*.ot", "coreml/*"]
_HUB_NAME = re.compile(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?")
LOAD_LOCK = threading.RLock()  # one load or download at a time


class ModelNotFound(DataError):
    """A model name that is nowhere on this machine (and downloads are not allowed)."""


TRANSFORMER_STACK = ("torch", "sentence_transformers")


def _missing_modules(names: Sequence[str]) -> list[str]:
    """Which of ``names`` cannot be imported here, found without importing them."""
    missing = []
    for module in names:
        if module in sys.modules:
            if sys.modules[module] is None:
                missing.append(module)
            continue
        try:
            if importlib.util.find_spec(module) is None:
                missing.append(module)
        except (ImportError, ValueError):
            missing.append(module)
    return missing


def require_transformer_stack(name: str, extra: Sequence[str] = (), hub: bool = False) -> None:
    """A transformer model needs PyTorch and sentence-transformers (the wheel install has
    them; the standalone bundle leaves them out): say so plainly when they are missing."""
    missing = _missing_modules([*TRANSFORMER_STACK, *extra])
    if missing:
        what = (
            "is not a built-in (default, minilm) or a model folder, and a Hugging Face model"
            if hub
            else "is a transformer model and"
        )
        raise ModelNotFound(
            f"model '{name}' {what} needs {', '.join(missing)}, which this installation does "
            "not have (the standalone bundle runs static models only)",
            hint="use the default model (--model default), a model2vec model folder, or the "
            "pip install of Inspector with PyTorch (packaging/README.md)",
        )


def downloads_allowed() -> bool:
    """Whether a hub model may be downloaded: the user opted in (the CLI's ``--allow-download``
    or the window's setting, both kept in ``INSPECTOR_ALLOW_DOWNLOAD`` so that the map's worker
    process follows them too)."""
    return os.environ.get(ALLOW_DOWNLOAD_ENV, "").strip().lower() in ("1", "true", "yes")


def set_downloads_allowed(allowed: bool) -> None:
    # "0" rather than no variable: a worker process started earlier takes the window's
    # variables over its own, and must see the choice withdrawn too.
    os.environ[ALLOW_DOWNLOAD_ENV] = "1" if allowed else "0"


@contextlib.contextmanager
def downloads_opted_in(opted_in: bool) -> Iterator[None]:
    """Within the block, downloads are allowed when ``opted_in`` (a CLI run's flag); the
    setting before is restored afterwards. ``False`` leaves the environment's choice."""
    before = os.environ.get(ALLOW_DOWNLOAD_ENV)
    if opted_in:
        set_downloads_allowed(True)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ALLOW_DOWNLOAD_ENV, None)
        else:
            os.environ[ALLOW_DOWNLOAD_ENV] = before


def hub_cache_dir() -> Path:
    """The local Hugging Face cache (``HF_HUB_CACHE``, ``HF_HOME``)."""
    try:
        import huggingface_hub.constants
    except ImportError:
        return Path("~/.cache/huggingface/hub").expanduser()
    return Path(huggingface_hub.constants.HF_HUB_CACHE)


def hub_model_dir(name: str, allow_download: bool | None = None) -> Path:
    """The local snapshot of hub model ``name``: from the cache, or downloaded when allowed."""
    with LOAD_LOCK:
        if not _HUB_NAME.fullmatch(name) or name.startswith((".", "~")):
            raise ModelNotFound(
                f"model '{name}': there is no folder {Path(name).expanduser().absolute()}",
                hint="give a model folder that exists, a built-in (default, minilm) or a "
                "Hugging Face name such as sentence-transformers/all-MiniLM-L6-v2",
            )
        require_transformer_stack(name, hub=True)  # before a download it could not use
        snapshot = hub_snapshot(name)
        if snapshot is not None:
            return snapshot
        allowed = downloads_allowed() if allow_download is None else allow_download
        if not allowed:
            raise ModelNotFound(
                f"model '{name}' is not a built-in (default, minilm), a model folder or in the "
                f"Hugging Face cache ({hub_cache_dir()}); nothing is downloaded unless asked",
                hint=f"add {ALLOW_DOWNLOAD_FLAG} to fetch it from the Hugging Face hub, or tick "
                "Allow downloads beside the model in the window; or give a model folder",
            )
        return _download(name)


def _download(name: str) -> Path:
    """Fetch hub model ``name`` into the Hugging Face cache (the user opted in)."""
    import huggingface_hub

    try:
        path = huggingface_hub.snapshot_download(name, ignore_patterns=DOWNLOAD_IGNORE)
    except Exception as exc:  # noqa: BLE001 - network, auth and missing repos all land here
        lines = [ln for ln in str(exc).splitlines() if ln.strip()]
        why = lines[0] if lines else type(exc).__name__
        raise ModelNotFound(
            f"could not download model '{name}' from the Hugging Face hub: {why}",
            hint="check the name and the network, or give a local model folder",
        ) from exc
    return Path(path)


def hub_snapshot(name: str) -> Path | None:
    """The cached snapshot directory of a hub model, if the HF cache has one (no network)."""
    repo = hub_cache_dir() / ("models--" + name.replace("/", "--"))
    ref = repo / "refs" / "main"
    if ref.is_file():
        snap = repo / "snapshots" / ref.read_text().strip()
        if snap.is_dir():
            return snap
    return None
