"""Map pipeline figures: embedding speed, file -> map at 100k rows cold and warm, kNN
method comparison, clusters and the vector cache at 1M rows, and (when
``bench_map_view.measure_frames`` exists) the map view's frame times.

    python3 benchmarks/bench_map.py [--rows 100000] [--quick]
    python3 benchmarks/bench_map.py --names [--rows 100000]

Prints JSON and writes benchmarks/results/bench_map.json (``--names``: only the cluster
names, noise reassignment and representatives figures, to bench_map_names.json). Uses a throw-away
INSPECTOR_HOME; the default model is taken from INSPECTOR_MODEL_DIR when set (else it is
distilled once into the throw-away home and the time is reported). Cold and warm map runs
each happen in a fresh Python process, so imports and numba compilation are counted, as
a user opening a file would pay them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "alpaca_eval_sample.jsonl"
if not SAMPLE.exists():
    SAMPLE = Path("/work/shared/data/alpaca_eval_sample.jsonl")
RESULTS = ROOT / "benchmarks" / "results" / "bench_map.json"
NAMES_RESULTS = ROOT / "benchmarks" / "results" / "bench_map_names.json"
sys.path.insert(0, str(ROOT))


def make_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` varied texts from the AlpacaEval sample: each row's instruction with two words
    swapped plus a sentence of its answer, or a run of 2-4 consecutive answer sentences.
    Topics stay those of the sample; exact copies are rare."""
    rows = [json.loads(line) for line in SAMPLE.open(encoding="utf-8")]
    rng = np.random.default_rng(seed)
    sentences = [
        [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", r["output"]) if len(s.strip()) > 3]
        or [r["output"]]
        for r in rows
    ]
    out: list[str] = []
    for i in range(n):
        j = int(rng.integers(len(rows)))
        ss = sentences[j]
        if i < len(rows):
            out.append(rows[i]["instruction"])
        elif rng.random() < 0.35:
            words = rows[j]["instruction"].split()
            if len(words) > 3:
                a, b = rng.integers(len(words), size=2)
                words[a], words[b] = words[b], words[a]
            out.append(" ".join(words) + " " + ss[int(rng.integers(len(ss)))])
        else:
            start = int(rng.integers(len(ss)))
            out.append(" ".join(ss[start : start + int(rng.integers(2, 5))]))
    return out


def timed(fn, texts: list[str]) -> float:
    t = time.perf_counter()
    fn(texts)
    return time.perf_counter() - t


def bench_embedding(n: int, rounds: int = 3) -> dict:
    """Rows/s of raw model2vec and of our paths on the same texts, interleaved round by
    round (best of ``rounds`` each) so a busy machine biases all of them alike."""
    from model2vec import StaticModel

    from inspector.core.map import models
    from inspector.core.map.embed import embed_texts

    t = time.perf_counter()
    prepared_before = models.is_default_prepared()
    models.prepare_default()
    prepare_s = None if prepared_before else time.perf_counter() - t
    texts = make_texts(n, seed=1)
    raw = StaticModel.from_pretrained(str(models.default_model_dir()))
    embedder = models.load_embedder("default")
    home = Path(os.environ["INSPECTOR_HOME"])
    best = {"raw": 1e9, "encode": 1e9, "no_cache": 1e9, "cold_cache": 1e9, "cached": 1e9}
    for r in range(rounds):
        best["raw"] = min(best["raw"], timed(lambda x: raw.encode(x), texts))
        best["encode"] = min(best["encode"], timed(embedder.encode, texts))
        best["no_cache"] = min(
            best["no_cache"], timed(lambda x: embed_texts(x, cache=False), texts)
        )
        # A fresh cache each round: hashing, dedupe, lookups and chunk writes included.
        os.environ["INSPECTOR_HOME"] = str(home / f"embed-round-{r}")
        best["cold_cache"] = min(best["cold_cache"], timed(embed_texts, texts))
        best["cached"] = min(best["cached"], timed(embed_texts, texts))
        os.environ["INSPECTOR_HOME"] = str(home)
    rps = {k: n / v for k, v in best.items()}
    sub = texts[:1000]
    minilm = models.load_embedder("minilm")
    minilm.encode(sub[:32])  # first call warms up torch
    minilm_rps = len(sub) / timed(minilm.encode, sub)
    default_on_sub = len(sub) / min(timed(embedder.encode, sub) for _ in range(3))
    return {
        "rows": n,
        "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
        "default_model_prepare_s": prepare_s,
        "raw_model2vec_rows_per_s": round(rps["raw"]),
        "default_embedder_encode_rows_per_s": round(rps["encode"]),
        "embed_texts_no_cache_rows_per_s": round(rps["no_cache"]),
        "embed_texts_cold_cache_rows_per_s": round(rps["cold_cache"]),
        "embed_texts_cached_rows_per_s": round(rps["cached"]),
        "ratio_embed_texts_cold_cache_vs_raw": round(rps["cold_cache"] / rps["raw"], 3),
        "ratio_encode_vs_raw": round(rps["encode"] / rps["raw"], 3),
        "target_ratio": 0.9,
        "minilm_1k_rows_per_s": round(minilm_rps, 1),
        "default_1k_rows_per_s": round(default_on_sub),
        "default_vs_minilm_speedup": round(default_on_sub / minilm_rps, 1),
    }


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from inspector.core.map.mapping import build_map
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
t1 = time.perf_counter()
r = build_map(texts)
t2 = time.perf_counter()
print(json.dumps({
    "read_s": t1 - t0, "build_map_s": t2 - t1, "file_to_map_s": t2 - t0,
    "stages_s": r.timings, "coarse_clusters": len(r.names_coarse),
    "fine_clusters": len(r.names_fine),
    "noise_fraction_fine": float((r.cluster_fine < 0).mean()),
    "example_names": [r.names_coarse[c] for c in sorted(r.names_coarse)[:8]],
}))
"""


def bench_map(n: int, home: Path) -> dict:
    path = home / f"texts_{n}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for t in make_texts(n, seed=2):
            f.write(json.dumps({"text": t}) + "\n")
    out: dict = {"rows": n, "cores": os.cpu_count()}
    for run in ("cold", "warm"):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            out[run] = {"error": proc.stderr[-2000:]}
            continue
        figures = json.loads(proc.stdout.strip().splitlines()[-1])
        figures["process_wall_s"] = round(wall, 2)
        out[run] = _round(figures)
    out["targets_s"] = {"cold": 180, "warm": 5}
    return out


NAMES_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from inspector.core.map import clusters
from inspector.core.map.mapping import build_map
sys.path.insert(0, sys.argv[2])
from bench_map import name_word_share
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
t1 = time.perf_counter()
r = build_map(texts)
t2 = time.perf_counter()
# The reassignment's own time: HDBSCAN again (not counted), then reassign_noise alone.
raw = clusters._hdbscan(r.xy, clusters.fine_min_size(len(r.xy)))
t3 = time.perf_counter()
clusters.reassign_noise(r.xy, raw)
reassign_s = time.perf_counter() - t3
share = name_word_share(texts, r.cluster_fine, r.names_fine)
confident = np.where(r.details.low_confidence, -1, r.cluster_fine)
share_confident = name_word_share(texts, confident, r.names_fine)
print(json.dumps({
    "read_s": t1 - t0, "build_map_s": t2 - t1, "file_to_map_s": t2 - t0,
    "stages_s": r.timings, "reassign_noise_s": reassign_s,
    "names_and_representatives_s": r.timings["clusters_names"],
    "names_reassign_representatives_share_of_map": (
        (r.timings["clusters_names"] + reassign_s) / (t2 - t1)),
    "noise_fraction_fine_before_reassignment": float((raw < 0).mean()),
    "noise_fraction_fine": float((r.cluster_fine < 0).mean()),
    "noise_fraction_coarse": float((r.cluster_coarse < 0).mean()),
    "low_confidence_fraction": float(r.details.low_confidence.mean()),
    "coarse_clusters": len(r.names_coarse), "fine_clusters": len(r.names_fine),
    "median_name_word_member_share_fine": float(np.median(list(share.values()))) if share else None,
    "median_name_word_member_share_fine_confident_members": (
        float(np.median(list(share_confident.values()))) if share else None),
    "example_names_coarse": [r.names_coarse[c] for c in sorted(r.names_coarse)[:8]],
    "example_names_fine": [r.names_fine[c] for c in sorted(r.names_fine)[:12]],
}))
""".replace("import json, sys, time", "import json, sys, time\nimport numpy as np")


def name_word_share(texts: list[str], labels: np.ndarray, names: dict[int, str]) -> dict:
    """Fine cluster -> share of its members whose text holds at least one of its name terms
    (whole words, case-insensitive; a pair as the two words in a row). One measure for the
    old names (single words) and the new (words and pairs)."""
    low = [t.lower() for t in texts]
    order = np.argsort(labels, kind="stable")
    out = {}
    for c, name in names.items():
        terms = [t for t in name.split(" · ") if t]
        rows = order[np.searchsorted(labels[order], c) : np.searchsorted(labels[order], c, "right")]
        if not terms or len(rows) == 0:
            out[c] = 0.0
            continue
        pattern = re.compile(
            "|".join(r"\b" + r"\W+".join(map(re.escape, t.split())) + r"\b" for t in terms)
        )
        out[c] = float(np.mean([bool(pattern.search(low[i])) for i in rows]))
    return out


def bench_names_sample() -> dict:
    """The shared AlpacaEval sample mapped twice, as a user would: embedding the prompt
    (instruction + input, the default) and embedding all the text; the names come from the
    prompt side in both (see project_map.name_texts). Member shares are measured on the
    prompts."""
    from inspector.core.map.mapping import build_map

    rows = [json.loads(line) for line in SAMPLE.open(encoding="utf-8")]
    prompts = [r["instruction"] + ("\n\n" + r["input"] if r.get("input") else "") for r in rows]
    everything = [p + "\n\n" + r["output"] for p, r in zip(prompts, rows, strict=True)]
    out: dict = {"rows": len(rows), "file": SAMPLE.name}
    for field, texts in (("prompt", prompts), ("all", everything)):
        t = time.perf_counter()
        r = build_map(texts, name_texts=prompts)
        share = name_word_share(prompts, r.cluster_fine, r.names_fine)
        out[field] = {
            "build_map_s": time.perf_counter() - t,
            "noise_fraction_fine": float((r.cluster_fine < 0).mean()),
            "low_confidence_fraction": float(r.details.low_confidence.mean()),
            "fine_clusters": len(r.names_fine),
            "coarse_clusters": len(r.names_coarse),
            "median_name_word_member_share_fine": float(np.median(list(share.values()))),
            "names_fine": [r.names_fine[c] for c in sorted(r.names_fine)[:15]],
            "names_coarse": [r.names_coarse[c] for c in sorted(r.names_coarse)],
        }
    return out


def bench_names_100k(n: int, home: Path) -> dict:
    path = home / f"texts_{n}.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for t in make_texts(n, seed=2):
            f.write(json.dumps({"text": t}) + "\n")
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", NAMES_CHILD, str(path), str(ROOT / "benchmarks")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:]}
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures["process_wall_s"] = wall
    figures["rows"] = n
    figures["how_made"] = (
        "make_texts(n, seed=2): the sample's 2,415 instructions, then rows that are an "
        "instruction with two words swapped plus one sentence of its answer (35%) or 2-4 "
        "consecutive answer sentences (65%); plain text, so names come from the text itself"
    )
    figures["targets"] = {"file_to_map_cold_s": 180, "names_reassign_representatives_share": 0.10}
    return figures


def bench_knn_methods(n: int) -> dict:
    """ivf (our default above 20k rows) beside pynndescent in a fresh process."""
    from inspector.core.map.embed import embed_texts
    from inspector.core.map.neighbors import knn_graph

    v = embed_texts(make_texts(n, seed=2))
    tmp = Path(tempfile.mkdtemp(prefix="bench-knn-"))
    np.save(tmp / "v.npy", v)
    code = (
        "import sys, time, json, numpy as np\n"
        "from inspector.core.map.neighbors import knn_graph\n"
        "v = np.load(sys.argv[1]); t = time.perf_counter()\n"
        "i, s = knn_graph(v, 15, cache=False, method=sys.argv[2])\n"
        "np.save(sys.argv[3], s); print(json.dumps(time.perf_counter() - t))\n"
    )
    out: dict = {"rows": n}
    q = v[:2000]
    exact = q @ v.T
    exact[np.arange(2000), np.arange(2000)] = -np.inf
    kth = np.sort(exact, axis=1)[:, -15][:, None]
    for method in ("ivf", "nndescent"):
        proc = subprocess.run(
            [sys.executable, "-c", code, str(tmp / "v.npy"), method, str(tmp / f"{method}.npy")],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        if proc.returncode != 0:
            out[method] = {"error": proc.stderr[-1000:]}
            continue
        sims = np.load(tmp / f"{method}.npy")
        out[method] = {
            "fresh_process_s": round(json.loads(proc.stdout.strip().splitlines()[-1]), 2),
            # Similarity-based recall@15 (exact duplicates make index sets ambiguous).
            "recall_at_15": round(float(np.mean(sims[:2000] >= kth - 1e-6)), 4),
        }
    del knn_graph
    return out


def bench_clusters_1m() -> dict:
    from inspector.core.map.clusters import cluster_layout

    rng = np.random.default_rng(0)
    centres = rng.uniform(-10, 10, (40, 2))
    which = rng.integers(0, 40, 1_000_000)
    xy = (centres[which] + rng.normal(0, 0.6, (1_000_000, 2))).astype(np.float32)
    t = time.perf_counter()
    coarse, fine = cluster_layout(xy, cache=False)
    return {
        "points": 1_000_000,
        "seconds": round(time.perf_counter() - t, 2),
        "coarse_clusters": int(coarse.max()) + 1,
        "fine_clusters": int(fine.max()) + 1,
    }


def bench_vector_cache_1m(home: Path) -> dict:
    from inspector.core.map.vector_cache import VectorCache

    rng = np.random.default_rng(0)
    n, dim, step = 1_000_000, 256, 4096
    hashes = rng.integers(0, 256, size=(n, 32), dtype=np.uint8).view("S32").ravel()
    block = rng.normal(size=(step, dim)).astype(np.float16)
    cache = VectorCache("bench:1m", root=home / "vc")
    t = time.perf_counter()
    for start in range(0, n, step):
        h = hashes[start : start + step]
        cache.append(h, block[: len(h)])
    write_s = time.perf_counter() - t
    t = time.perf_counter()
    reopened = VectorCache("bench:1m", root=home / "vc")
    reopened.lookup(hashes[:1])
    open_s = time.perf_counter() - t
    t = time.perf_counter()
    found, _ = reopened.lookup(hashes)
    lookup_s = time.perf_counter() - t
    t = time.perf_counter()
    reopened.compact(at_least=0)
    compact_s = time.perf_counter() - t
    t = time.perf_counter()
    again = VectorCache("bench:1m", root=home / "vc")
    found2, _ = again.lookup(hashes)
    compacted_open_lookup_s = time.perf_counter() - t
    assert found.all() and found2.all()
    return {
        "rows": n,
        "dim": dim,
        "chunks": (n + step - 1) // step,
        "write_s": round(write_s, 2),
        "open_index_s": round(open_s, 2),
        "lookup_all_s": round(lookup_s, 2),
        "compact_s": round(compact_s, 2),
        "open_and_lookup_all_after_compact_s": round(compacted_open_lookup_s, 2),
    }


def bench_view() -> dict | None:
    try:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import bench_map_view  # type: ignore[import-not-found]
    except ImportError:
        return None
    if not hasattr(bench_map_view, "measure_frames"):
        return None
    try:
        return bench_map_view.measure_frames()
    except Exception as exc:  # another engineer's code: report, don't crash the figures
        return {"error": f"{type(exc).__name__}: {exc}"}


def _round(obj):  # type: ignore[no-untyped-def]
    if isinstance(obj, float):
        return round(obj, 3)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="skip the 1M and view figures")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--names", action="store_true", help="only the names figures")
    args = parser.parse_args()
    if args.names:
        bench_names(args)
        return

    home = Path(tempfile.mkdtemp(prefix="bench-map-home-"))
    os.environ["INSPECTOR_HOME"] = str(home)
    # Keep the model where it is when shared; otherwise prepare it once in the throw-away home.
    os.environ.setdefault("INSPECTOR_MODEL_DIR", str(home / "models"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    result: dict = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": load,
        },
        "embedding": bench_embedding(20_000),
    }
    result["map"] = bench_map(args.rows, home)
    result["knn_methods"] = bench_knn_methods(args.rows)
    if not args.quick:
        result["clusters_1m"] = bench_clusters_1m()
        result["vector_cache_1m"] = bench_vector_cache_1m(home)
        view = bench_view()
        if view is not None:
            result["map_view"] = view
    result["machine"]["load_average_at_end"] = (
        os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    )
    text = json.dumps(_round(result), indent=2)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text + "\n", encoding="utf-8")


def bench_names(args: argparse.Namespace) -> None:
    home = Path(tempfile.mkdtemp(prefix="bench-map-names-"))
    os.environ["INSPECTOR_HOME"] = str(home)
    os.environ.setdefault("INSPECTOR_MODEL_DIR", str(home / "models"))
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    result: dict = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "uptime_at_start": uptime.strip(),
        },
        "before": BEFORE,
        "sample": bench_names_sample(),
        "map_100k_cold": bench_names_100k(args.rows, home),
    }
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    result["machine"]["uptime_at_end"] = uptime.strip()
    text = json.dumps(_round(result), indent=2)
    print(text)
    if not args.no_write:
        NAMES_RESULTS.parent.mkdir(parents=True, exist_ok=True)
        NAMES_RESULTS.write_text(text + "\n", encoding="utf-8")


# The same sample measured before issue 12's names (code at da0b305: unigram c-TF-IDF on
# the embedded text, HDBSCAN noise left as noise), by the same name_word_share measure.
BEFORE = {
    "commit": "da0b305",
    "prompt": {
        "noise_fraction_fine": 0.224,
        "fine_clusters": 85,
        "median_name_word_member_share_fine": 0.5,
        "example": ["bites · dust · gone", "points · book · experiences"],
    },
    "all": {
        "noise_fraction_fine": 0.314,
        "fine_clusters": 47,
        "median_name_word_member_share_fine_vs_naming_text": 0.714,
        "median_name_word_member_share_fine_vs_prompt": 0.395,
    },
    # The same 100k file (make_texts(100000, seed=2)) and cached layout, old code.
    "map_100k": {
        "noise_fraction_fine": 0.396,
        "fine_clusters": 50,
        "median_name_word_member_share_fine": 0.489,
        "note": "over HDBSCAN's members only: 40% of rows, the loosest, were in no cluster",
    },
    # Old and new names on the same (new, reassigned) 100k labels, measured once with the
    # old keywords.py loaded beside the new one: the new names cover more members.
    "map_100k_same_labels": {
        "all_members": {"old_names": 0.382, "new_names": 0.439},
        "confident_members_only": {"old_names": 0.489, "new_names": 0.575},
    },
}


if __name__ == "__main__":
    main()
