"""Find the data files behind what the user opened: a file, a glob, a folder of shards,
or a Hugging Face ``save_to_disk`` folder (a Dataset or a DatasetDict with splits)."""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass
from pathlib import Path

from inspector.core.data.compression import ReadLimits
from inspector.core.data.readers import DATA_SUFFIXES, check_regular, sniff_file, strip_compression
from inspector.core.errors import DataError

SKIP_NAMES = {"state.json", "dataset_info.json", "dataset_dict.json", "manifest.json"}
SNIFFED_DATA = {"parquet", "arrow", "arrow_stream", "json", "jsonl"}


@dataclass(frozen=True)
class Sources:
    """The files that make one dataset, and how they were found."""

    files: list[Path]
    kind: str  # file | glob | directory | hf_dataset
    splits: tuple[str, ...] = ()  # a DatasetDict's splits
    split: str | None = None  # the split opened
    limits: ReadLimits | None = None  # the caps the files were read under (apply reuses them)
    left_out: tuple[Path, ...] = ()  # files of a split folder that belong to no split


# Split names in file and folder names, as Hugging Face ``datasets`` resolves them (its
# keywords, less "eval"/"evaluation", which name other things too often): a keyword between
# separators (-._ space, digits, /) or at an end of the path.
SPLIT_KEYWORDS = {
    "train": "train",
    "training": "train",
    "validation": "validation",
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
    "test": "test",
    "testing": "test",
}
SPLIT_ORDER = ("train", "validation", "test")
_SPLIT_WORD = re.compile(
    r"(?:^|(?<=[-._ 0-9]))(" + "|".join(sorted(SPLIT_KEYWORDS, key=len, reverse=True)) + r")"
    r"(?=[-._ 0-9]|$)"
)


_SHARD = re.compile(r"(?:^|-)([A-Za-z0-9_.]+)-\d+-of-\d+$")  # data/{split}-00000-of-00002
_NAMED = re.compile(  # {split}, {name}-{split}: train_prefs, ultrafeedback-test_sft
    r"(?:^|-)((?:" + "|".join(SPLIT_KEYWORDS) + r")(?:_[a-z0-9]+)*)$", re.IGNORECASE
)


def _stem(name: str) -> str:
    """A file name without its data and compression suffixes."""
    for suffix in reversed(Path(name).suffixes):
        if suffix.lower() not in DATA_SUFFIXES | {".gz", ".zst", ".zstd"}:
            break
        name = name[: -len(suffix)]
    return name


def split_of(relative: Path) -> str | None:
    """The split a file's path names: a Hub shard's ``data/{split}-00000-of-00002`` (any name,
    as the Hub allows: ``train_prefs``), a name ending in a split (``chat-test.arrow``,
    ``ufb-train_sft.arrow``), else a split keyword in the file name or a folder, nearest
    first (``validation/0000.parquet``, ``alpaca_train.jsonl``). Keywords alone are named as
    the Hub names them (``valid``, ``dev`` -> validation)."""
    stem = _stem(relative.name)
    shard = _SHARD.search(stem)
    if shard and relative.parent.name == "data":  # the Hub: any split name under data/
        return SPLIT_KEYWORDS.get(shard.group(1).lower(), shard.group(1))
    found = _NAMED.search(shard.group(1) if shard else stem)
    if found:
        return SPLIT_KEYWORDS.get(found.group(1).lower(), found.group(1))
    for part in reversed(relative.parts):
        word = _SPLIT_WORD.search(part.lower())
        if word:
            return SPLIT_KEYWORDS[word.group(1)]
    return None


def _split_rank(name: str) -> tuple[int, str]:
    """Train splits first, then validation, test, any other; by name within each."""
    word = _SPLIT_WORD.search(name.lower()) or re.match(
        "(" + "|".join(SPLIT_KEYWORDS) + ")", name.lower()
    )
    base = SPLIT_KEYWORDS.get(word.group(1)) if word else None
    return (SPLIT_ORDER.index(base) if base in SPLIT_ORDER else len(SPLIT_ORDER), name)


def split_files(folder: Path, files: list[Path]) -> dict[str, list[Path]]:
    """The files of a folder by the split their names give, train splits first; {} unless
    they name two splits or more (one split alone is no choice)."""
    by_split: dict[str, list[Path]] = {}
    for f in files:
        name = split_of(f.relative_to(folder))
        if name is not None:
            by_split.setdefault(name, []).append(f)
    if len(by_split) < 2:
        return {}
    return {name: by_split[name] for name in sorted(by_split, key=_split_rank)}


def hf_splits(folder: Path) -> list[str]:
    """Split names of a ``DatasetDict.save_to_disk`` folder, or [] if it is not one."""
    meta = folder / "dataset_dict.json"
    if not meta.is_file():
        return []
    try:
        splits = json.loads(meta.read_text("utf-8")).get("splits", [])
    except (ValueError, OSError) as exc:
        raise DataError(f"cannot read: {exc}", file=meta) from exc
    return [s for s in splits if (folder / s).is_dir()]


def split_rows(folder: Path) -> dict[str, int | None]:
    """Each split of a ``DatasetDict`` folder with its row count (None where it cannot be
    counted), for choosing one. Counts come from the Arrow files' record batch headers, so
    nothing is read into memory."""
    from inspector.core.data.arrow_ipc import count_file_rows

    out: dict[str, int | None] = {}
    for split in hf_splits(folder):
        try:
            out[split] = sum(count_file_rows(path) for path in _hf_dataset_files(folder / split))
        except (DataError, OSError, ValueError):  # arrow_ipc's Corrupt, Unsupported
            out[split] = None
    if out or not folder.is_dir():
        return out
    for split, files in split_files(folder, _folder_files(folder)).items():
        out[split] = _count_rows(files)
    return out


def _count_rows(files: list[Path]) -> int | None:
    """Rows from the files' headers and footers (Arrow, Parquet); None for any other file."""
    import polars as pl

    from inspector.core.data.arrow_ipc import count_file_rows

    total = 0
    for path in files:
        suffix, compression = strip_compression(path)
        try:
            if compression is None and suffix in (".arrow", ".feather", ".ipc"):
                total += count_file_rows(path)
            elif compression is None and suffix == ".parquet":
                total += int(pl.scan_parquet(path).select(pl.len()).collect().item())
            else:
                return None
        except Exception:  # noqa: BLE001 - not countable here; opening it says what is wrong
            return None
    return total


def _hf_dataset_files(folder: Path) -> list[Path]:
    try:
        state = json.loads((folder / "state.json").read_text("utf-8"))
        names = [f["filename"] for f in state.get("_data_files", [])]
    except (ValueError, OSError, KeyError, TypeError, AttributeError) as exc:
        raise DataError(
            f"cannot read the save_to_disk state: {exc!r}", file=folder / "state.json"
        ) from exc
    files = [folder / n for n in names] if names else sorted(folder.glob("data-*.arrow"))
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise DataError("listed in state.json but missing", file=missing[0])
    return files


def _looks_like_data(path: Path) -> bool:
    if path.name in SKIP_NAMES or path.name.startswith("."):
        return False
    suffix, _ = strip_compression(path)
    return suffix in DATA_SUFFIXES


def find_sources(target: str | Path, split: str | None = None) -> Sources:
    """Resolve what the user named into data files, in a stable order."""
    text = str(target)
    if any(ch in text for ch in "*?[") and not Path(text).exists():
        files = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
        files = [f for f in files if _looks_like_data(f)] or files
        if not files:
            raise DataError("no files match this pattern", file=text)
        return _no_split_asked(Sources(files, "glob"), split, Path(text))
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError("file not found", file=path, hint="check the path")
    if path.is_file():
        return _no_split_asked(Sources([path], "file"), split, path)
    if not path.is_dir():
        check_regular(path)  # a FIFO, device or socket: say what it is
    splits = hf_splits(path)
    if splits:
        chosen = split or ("train" if "train" in splits else splits[0])
        if chosen not in splits:
            raise DataError(
                f"no split '{chosen}'; this DatasetDict has {', '.join(splits)}", file=path
            )
        return Sources(_hf_dataset_files(path / chosen), "hf_dataset", tuple(splits), chosen)
    if (path / "state.json").is_file():
        return _no_split_asked(Sources(_hf_dataset_files(path), "hf_dataset"), split, path)
    files = _folder_files(path)
    by_split = split_files(path, files)
    if by_split:
        names = tuple(by_split)
        chosen = split or ("train" if "train" in names else names[0])
        chosen = SPLIT_KEYWORDS.get(chosen.lower(), chosen)
        if chosen not in by_split:
            raise DataError(
                f"no split '{split}'; this folder has {', '.join(names)}",
                file=path,
                hint="--split " + " or --split ".join(names),
            )
        in_split = set(by_split[chosen])
        others = {f for fs in by_split.values() for f in fs}
        left_out = tuple(f for f in files if f not in others)
        return Sources(
            [f for f in files if f in in_split], "directory", names, chosen, None, left_out
        )
    return _no_split_asked(Sources(files, "directory"), split, path)


_KIND_WORDS = {
    "file": "file",
    "glob": "pattern",
    "directory": "folder",
    "hf_dataset": "save_to_disk folder",
}


def _no_split_asked(sources: Sources, split: str | None, path: Path) -> Sources:
    if split is not None:
        raise DataError(
            f"--split {split}: this {_KIND_WORDS[sources.kind]} has no splits",
            file=path,
            hint="--split chooses among a DatasetDict's splits or files named train/test/"
            "validation; leave it out",
        )
    return sources


def _visible_files(path: Path) -> list[Path]:
    """The files under ``path`` outside hidden folders (``.git``, ``.cache``,
    ``.ipynb_checkpoints``: copies and caches, no part of the data)."""
    return [
        p
        for p in path.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(path).parts[:-1]) and p.is_file()
    ]


def _folder_files(path: Path) -> list[Path]:
    visible = _visible_files(path)
    files = sorted(p for p in visible if _looks_like_data(p))
    if not files:
        # Unknown extensions: accept the files whose content looks like JSON, Parquet or
        # Arrow (not a README or a LICENSE, which would read as one-column CSV).
        files = sorted(
            p
            for p in visible
            if not p.name.startswith(".")
            and p.name not in SKIP_NAMES
            and sniff_file(p) in SNIFFED_DATA
        )
    if not files:
        raise DataError(
            "the folder holds no data files",
            file=path,
            hint="expected .jsonl, .json, .parquet, .csv, .tsv or .arrow files",
        )
    return files
