"""On-disk cache of embedding vectors keyed by (model identity, sha256 of the embedded text).

Layout: ``cache_dir()/vectors/<safe identity>/`` holds ``identity.txt`` and append-only
chunks. A chunk is two files, ``<stem>.vec.npy`` (float16, n x dim) and ``<stem>.hash.npy``
(``S32`` sha256 digests); each is written to a temporary name and renamed, the hashes last,
so a chunk exists only once both are complete. A cancelled or crashed run keeps every chunk
it wrote and the next run embeds only what is missing.

Lookup keeps all hashes in memory as one sorted ``uint64`` prefix array (8 bytes per row;
the full 32-byte digest is checked after the search) and reads vectors from memory-mapped
chunk files, so opening a 1M-row cache reads ~32 MB of hashes and no vectors.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from inspector.core.atomic import save_npy, write_bytes
from inspector.core.paths import cache_dir

HASH_DTYPE = np.dtype("S32")
COMPACT_AT = 64  # merge chunks into one file when there are more than this many


def hash_texts(texts: Sequence[str]) -> np.ndarray:
    """sha256 digest of each text (UTF-8) as an ``S32`` array."""
    out = np.empty(len(texts), dtype=HASH_DTYPE)
    sha = hashlib.sha256
    for i, text in enumerate(texts):
        out[i] = sha(text.encode("utf-8", "surrogatepass")).digest()
    return out


def digest_hashes(hashes: np.ndarray) -> str:
    """One short digest over a whole array of text hashes (order matters)."""
    return hashlib.sha256(np.ascontiguousarray(hashes).tobytes()).hexdigest()[:24]


def safe_name(identity: str) -> str:
    """A directory name for ``identity``: readable prefix plus a digest, so it is unique."""
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", identity)[:60].strip("._")
    return f"{readable}-{hashlib.sha256(identity.encode()).hexdigest()[:12]}"


def _prefix(hashes: np.ndarray) -> np.ndarray:
    """First 8 bytes of each digest as uint64: a sortable key that is unique in practice."""
    raw = np.ascontiguousarray(hashes, dtype=HASH_DTYPE).view(np.uint8).reshape(-1, 32)
    return np.ascontiguousarray(raw[:, :8]).view(np.uint64).ravel()


class VectorCache:
    """Vectors for one model identity; safe to share between threads of one process."""

    def __init__(self, identity: str, root: Path | None = None) -> None:
        self.identity = identity
        self.dir = (root or cache_dir() / "vectors") / safe_name(identity)
        self.dir.mkdir(parents=True, exist_ok=True)
        ident = self.dir / "identity.txt"
        if not ident.exists():
            write_bytes(ident, identity.encode())
        self._lock = threading.RLock()
        self._chunks: list[str] = []  # stems, in load order
        self._vec: list[np.ndarray] = []  # memory-mapped float16 arrays
        self._hashes: list[np.ndarray] = []
        self._keys = np.empty(0, dtype=np.uint64)  # sorted prefixes
        self._where = np.empty((0, 2), dtype=np.int64)  # (chunk, row) for each sorted key
        self._stale = True
        self.dim: int | None = None
        self.load()

    # -- reading --------------------------------------------------------------------------
    def load(self) -> None:
        """(Re)read the list of chunks on disk; cheap when nothing changed."""
        with self._lock:
            for _attempt in range(3):
                try:
                    self._load_once()
                    return
                except FileNotFoundError:
                    # A concurrent compaction removed chunks between listing and reading.
                    self._reset()
            self._load_once()

    def _reset(self) -> None:
        self._chunks, self._vec, self._hashes = [], [], []
        self._stale = True

    def _load_once(self) -> None:
        on_disk = sorted(p.name[: -len(".hash.npy")] for p in self.dir.glob("*.hash.npy"))
        known = set(self._chunks)
        if set(on_disk) != known and not known.issubset(on_disk):
            self._reset()
            known = set()
        for stem in on_disk:
            if stem in known:
                continue
            try:
                hashes = np.load(self.dir / f"{stem}.hash.npy")
                vec = np.load(self.dir / f"{stem}.vec.npy", mmap_mode="r")
            except FileNotFoundError:
                raise
            except (OSError, ValueError, EOFError):
                continue  # damaged (e.g. power loss mid-write): its rows are embedded again
            if vec.ndim != 2 or len(vec) != len(hashes) or hashes.dtype != HASH_DTYPE:
                continue
            if self.dim is None:
                self.dim = int(vec.shape[1])
            elif vec.shape[1] != self.dim:
                continue
            self._chunks.append(stem)
            self._hashes.append(hashes)
            self._vec.append(vec)
            self._stale = True

    def _index(self) -> None:
        if not self._stale:
            return
        if self._hashes:
            prefixes = np.concatenate([_prefix(h) for h in self._hashes])
            chunk_of = np.concatenate(
                [np.full(len(h), i, dtype=np.int64) for i, h in enumerate(self._hashes)]
            )
            row_of = np.concatenate([np.arange(len(h), dtype=np.int64) for h in self._hashes])
            order = np.argsort(prefixes, kind="stable")
            self._keys = prefixes[order]
            self._where = np.stack([chunk_of[order], row_of[order]], axis=1)
        else:
            self._keys = np.empty(0, dtype=np.uint64)
            self._where = np.empty((0, 2), dtype=np.int64)
        self._stale = False

    def __len__(self) -> int:
        with self._lock:
            return int(sum(len(h) for h in self._hashes))

    def lookup(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found_mask, vectors)``: float32 vectors for found hashes, zero rows elsewhere."""
        hashes = np.asarray(hashes, dtype=HASH_DTYPE)
        n = len(hashes)
        with self._lock:
            self._index()
            dim = self.dim or 0
            found = np.zeros(n, dtype=bool)
            out = np.zeros((n, dim), dtype=np.float32)
            if n == 0 or len(self._keys) == 0:
                return found, out
            keys = _prefix(hashes)
            pos = np.searchsorted(self._keys, keys)
            pos_c = np.minimum(pos, len(self._keys) - 1)
            hit = self._keys[pos_c] == keys
            idx = np.flatnonzero(hit)
            where = self._where[pos_c[idx]]
            order = np.argsort(where[:, 0], kind="stable")
            idx, where = idx[order], where[order]
            bounds = np.flatnonzero(np.diff(where[:, 0])) + 1
            for sel, w in zip(np.split(idx, bounds), np.split(where, bounds), strict=True):
                if len(sel) == 0:
                    continue
                c, rows = int(w[0, 0]), w[:, 1]
                # Verify the full digest: prefix collisions are ~1e-7 at 1M rows, cheap to rule out.
                ok = self._hashes[c][rows] == hashes[sel]
                sel, rows = sel[ok], rows[ok]
                if len(sel):
                    # Sorted rows read the memory map front to back.
                    r_order = np.argsort(rows)
                    out[sel[r_order]] = self._vec[c][rows[r_order]]
                    found[sel] = True
            return found, out

    # -- writing --------------------------------------------------------------------------
    def append(self, hashes: np.ndarray, vectors: np.ndarray) -> None:
        """Write one chunk (float16) and make it visible to lookups at once."""
        hashes = np.asarray(hashes, dtype=HASH_DTYPE)
        if len(hashes) == 0:
            return
        vec16 = np.asarray(vectors, dtype=np.float16)
        if vec16.ndim != 2 or len(vec16) != len(hashes):
            raise ValueError(f"append: {len(hashes)} hashes but vectors of shape {vec16.shape}")
        with self._lock:
            if self.dim is not None and vec16.shape[1] != self.dim:
                raise ValueError(
                    f"vector cache {self.dir} holds {self.dim}-d vectors, got {vec16.shape[1]}-d"
                )
            stem = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
            _atomic_save(self.dir / f"{stem}.vec.npy", vec16)
            _atomic_save(self.dir / f"{stem}.hash.npy", hashes)
            self.dim = int(vec16.shape[1])
            self._chunks.append(stem)
            self._hashes.append(hashes)
            self._vec.append(np.load(self.dir / f"{stem}.vec.npy", mmap_mode="r"))
            self._stale = True

    def compact(self, at_least: int = COMPACT_AT) -> bool:
        """Merge all chunks into one when there are more than ``at_least``; True if merged."""
        with self._lock:
            self.load()
            if len(self._chunks) <= at_least:
                return False
            hashes = np.concatenate(self._hashes)
            vecs = np.concatenate([np.asarray(v) for v in self._vec])
            _, first = np.unique(hashes, return_index=True)
            first.sort()
            old = list(self._chunks)
            self._reset()
            self.append(hashes[first], vecs[first])
            for stem in old:
                for suffix in (".hash.npy", ".vec.npy"):
                    try:
                        (self.dir / f"{stem}{suffix}").unlink()
                    except FileNotFoundError:
                        pass
            return True

    def clear(self) -> None:
        """Delete every chunk of this identity."""
        with self._lock:
            for p in self.dir.glob("*.npy"):
                p.unlink(missing_ok=True)
            self._reset()
            self.dim = None


def _atomic_save(path: Path, array: np.ndarray) -> None:
    save_npy(path, array, fsync=True)  # a chunk must be whole on disk before it is indexed
