"""Benchmark the junk finders against their peers, side by side, and print JSON.

    python3 benchmarks/bench_junk.py [--rows 1000000]
        [--only defaults,rules,semantic,dedup_cli,million,million_dedup,pair_recall,embed_rate,
                semantic_routes,graph] [--cli-rows 2415] [--cli-repeat 3] [--repeat 1]

- semantic dedup beside semhash, same texts, same model (time ratio, pair F1);
- ``inspector analyze --only duplicates`` beside a semhash script, each a fresh process from
  start to files written, on the sample's answers and on ~32k answers made from them
  (``dedup_cli``), same static model and threshold;
- our quality rules beside datatrove's filters, one rule at a time (per-rule agreement);
- exact + MinHash duplicates at 1M rows, semantic duplicates at 1M rows on synthetic vectors
  (``cosine_pairs``, analyze's route: no kNN graph), its recall against all pairs at 50k
  rows (``pair_recall``) and on the real answers (``semantic_routes``), and the default
  model's rows/s (what a cold run adds); all quality rules at 1M rows (seconds).

The peers (semhash, datatrove with spaCy) belong to this benchmark's environment only:
``pip install semhash datatrove spacy``. Results go to benchmarks/results/bench_junk.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = Path(
    os.environ.get("INSPECTOR_SAMPLE", ROOT.parent / "shared/data/alpaca_eval_sample.jsonl")
)
OUT = ROOT / "benchmarks/results/bench_junk.json"

# -- our rules beside datatrove's --------------------------------------------------------------

NONE_GQ = dict(
    min_doc_words=None, max_doc_words=None, min_avg_word_length=None, max_avg_word_length=None,
    max_symbol_word_ratio=None, max_bullet_lines_ratio=None, max_ellipsis_lines_ratio=None,
    max_non_alpha_words_ratio=None, min_stop_words=None,
)  # fmt: skip
NONE_GR = dict(dup_line_frac=None, dup_para_frac=None, dup_line_char_frac=None,
               dup_para_char_frac=None, top_n_grams=(), dup_n_grams=())  # fmt: skip
NONE_FW = dict(
    line_punct_thr=-1.0, short_line_thr=2.0, char_duplicates_ratio=2.0, new_line_ratio=1e12
)
NONE_C4 = dict(min_num_sentences=-1, filter_lorem_ipsum=False, filter_curly_bracket=False)


def datatrove_filters() -> dict[str, tuple[Any, set[str], str | None]]:
    """Our rule -> (datatrove filter with only that check on, its reasons, a reason that
    pre-empts it: rows rejected for that are not comparable)."""
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )

    def gq(**kw: Any) -> Any:
        return GopherQualityFilter(**{**NONE_GQ, **kw})

    def gr(**kw: Any) -> Any:
        return GopherRepetitionFilter(**{**NONE_GR, **kw})

    def fw(**kw: Any) -> Any:
        return FineWebQualityFilter(**{**NONE_FW, **kw})

    def c4(**kw: Any) -> Any:
        return C4QualityFilter(**{**NONE_C4, **kw})

    out: dict[str, tuple[Any, set[str], str | None]] = {
        "gopher_short_doc": (gq(min_doc_words=50), {"gopher_short_doc"}, None),
        "gopher_long_doc": (gq(max_doc_words=100_000), {"gopher_long_doc"}, None),
        "gopher_avg_word_length": (
            gq(min_avg_word_length=3, max_avg_word_length=10),
            {"gopher_below_avg_threshold", "gopher_above_avg_threshold"},
            None,
        ),
        "gopher_hash_ratio": (gq(max_symbol_word_ratio=0.1), {"gopher_too_many_hashes"}, None),
        "gopher_ellipsis_ratio": (
            gq(max_symbol_word_ratio=0.1),
            {"gopher_too_many_ellipsis"},
            "gopher_too_many_hashes",
        ),
        "gopher_bullet_lines": (gq(max_bullet_lines_ratio=0.9), {"gopher_too_many_bullets"}, None),
        "gopher_ellipsis_lines": (
            gq(max_ellipsis_lines_ratio=0.3),
            {"gopher_too_many_end_ellipsis"},
            None,
        ),
        "gopher_alpha_words": (
            gq(max_non_alpha_words_ratio=0.8),
            {"gopher_below_alpha_threshold"},
            None,
        ),
        "gopher_stop_words": (gq(min_stop_words=2), {"gopher_enough_stop_words"}, None),
        "gopher_dup_para_frac": (gr(dup_para_frac=0.3), {"dup_para_frac"}, None),
        "gopher_dup_para_char_frac": (gr(dup_para_char_frac=0.2), {"dup_para_char_frac"}, None),
        "gopher_dup_line_frac": (gr(dup_line_frac=0.3), {"dup_line_frac"}, None),
        "gopher_dup_line_char_frac": (gr(dup_line_char_frac=0.2), {"dup_line_char_frac"}, None),
        "c4_lorem_ipsum": (c4(filter_lorem_ipsum=True), {"lorem_ipsum"}, None),
        "c4_curly_bracket": (c4(filter_curly_bracket=True), {"curly_bracket"}, None),
        "c4_sentences": (c4(min_num_sentences=5), {"too_few_sentences"}, None),
        "fineweb_line_punct_ratio": (fw(line_punct_thr=0.12), {"line_punct_ratio"}, None),
        "fineweb_short_line_ratio": (fw(short_line_thr=0.67), {"short_line_ratio"}, None),
        "fineweb_char_dup_ratio": (fw(char_duplicates_ratio=0.01), {"char_dup_ratio"}, None),
        "fineweb_list_ratio": (fw(new_line_ratio=0.3), {"list_ratio"}, None),
    }
    for g, frac in ((2, 0.2), (3, 0.18), (4, 0.16)):
        out[f"gopher_top_{g}_gram"] = (gr(top_n_grams=((g, frac),)), {f"top_{g}_gram"}, None)
    for g, frac in zip(range(5, 11), (0.15, 0.14, 0.13, 0.12, 0.11, 0.10), strict=True):
        out[f"gopher_dup_{g}_gram"] = (
            gr(dup_n_grams=((g, frac),)),
            {f"duplicated_{g}_n_grams"},
            None,
        )
    return out


def datatrove_verdicts(texts: list[str], flt: Any) -> list[str | None]:
    """The reason datatrove rejects each text for, "" when kept, None when it fails."""
    from datatrove.data import Document

    out: list[str | None] = []
    for i, text in enumerate(texts):
        try:
            res = flt.filter(Document(text=text, id=str(i)))
        except (ZeroDivisionError, ValueError, IndexError):
            out.append(None)
            continue
        out.append("" if res is True else (res[1] if isinstance(res, tuple) else "rejected"))
    return out


def bench_rules(frame: pl.DataFrame) -> dict[str, Any]:
    """Per-rule agreement of our flags (published thresholds, no length gate) with datatrove."""
    from inspector.core.junk.quality import evaluate
    from inspector.core.junk.quality_rules import published_rules

    texts = pl.concat([frame.get_column("instruction"), frame.get_column("output")]).to_list()
    ours = evaluate(pl.DataFrame({"text": texts}), {"response": "text"}, published_rules())
    per_rule: dict[str, Any] = {}
    t_peer = 0.0
    for name, (flt, reasons, pre_empt) in datatrove_filters().items():
        t0 = time.perf_counter()
        theirs = datatrove_verdicts(texts, flt)
        t_peer += time.perf_counter() - t0
        mine = ours.get_column(f"response.{name}.flag").to_list()
        pairs = [
            (m, r in reasons)
            for m, r in zip(mine, theirs, strict=True)
            if r is not None and r != "empty" and (pre_empt is None or r != pre_empt)
        ]
        agree = sum(m == t for m, t in pairs) / max(len(pairs), 1)
        per_rule[name] = {
            "agreement": round(agree, 4),
            "compared": len(pairs),
            "ours_flag_rate": round(sum(m for m, _ in pairs) / max(len(pairs), 1), 4),
            "datatrove_flag_rate": round(sum(t for _, t in pairs) / max(len(pairs), 1), 4),
            "disagree": sum(m != t for m, t in pairs),
        }
    t0 = time.perf_counter()
    evaluate(pl.DataFrame({"text": texts}), {"response": "text"}, published_rules())
    t_ours = time.perf_counter() - t0
    worst = min(v["agreement"] for v in per_rule.values())
    return {
        "texts": len(texts),
        "what": "AlpacaEval instructions + answers; each rule alone, published thresholds",
        "min_agreement": worst,
        "seconds": {
            "ours_all_rules": round(t_ours, 2),
            "datatrove_four_filters": round(t_peer, 2),
        },
        "per_rule": per_rule,
        "deliberate_differences": DIFFERENCES,
    }


DIFFERENCES = {
    "tokeniser": "datatrove tokenises English with spaCy; we use a compiled approximation "
    "(punctuation split off, kept inside numbers/dotted words/snake_case, contractions split "
    "before the apostrophe, URLs whole). spaCy's abbreviation exceptions ('U.S.', 'Mr.') and "
    "infix rules (x=y, word.Word) are not reproduced.",
    "c4_sentences": "sentences are counted by terminal punctuation followed by a word, not by "
    "spaCy's sentencizer (abbreviations like 'e.g.' count as a boundary for us).",
    "lines": "lines split on '\\n' only; Python's splitlines() also splits on \\r, \\v, \\f, "
    "\\x1c-\\x1e, \\x85, \\u2028, \\u2029.",
    "n-gram identity": "n-grams are compared by a 64-bit hash of their tokens; datatrove compares "
    "the joined strings (duplicate n-grams join without spaces, so ('ab','c') == ('a','bc') there).",
    "c4_badwords": "not implemented (the word list is a download); C4's line filters (javascript, "
    "policy, too-long word) are applied only to decide which lines count.",
    "semantic groups": "pairs agree with semhash; rows removed differ by design: we join pairs "
    "into groups by union-find (a chain a~b~c is one group), semhash keeps a greedy canonical "
    "per record and only removes records directly similar to a kept one.",
    "defaults": "the shipped defaults (resources/quality_rules.toml) switch off or length-gate "
    "web-text rules that misfire on chat answers; the comparison uses published thresholds.",
}


# -- semantic dedup beside semhash -------------------------------------------------------------


def _f1(ours: set, theirs: set) -> dict[str, float]:
    both = len(ours & theirs)
    p = both / len(ours) if ours else 1.0
    r = both / len(theirs) if theirs else 1.0
    return {
        "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "precision": round(p, 4),
        "recall": round(r, 4),
        "ours": len(ours),
        "semhash": len(theirs),
    }


def bench_semantic(frame: pl.DataFrame, thresholds: tuple[float, ...]) -> dict[str, Any]:
    """Same texts, same vectors (Inspector's default model) for both; semhash gets them
    through from_embeddings and the model2vec StaticModel. Timed: from vectors to duplicates
    (ours: the pairs above the threshold as analyze finds them, then union-find; semhash's
    usearch index + threshold query + selection). Pairs are compared over unique texts
    (semhash drops exact copies before its index)."""
    from semhash import SemHash

    from inspector.core.junk.duplicates import groups_from_pairs, threshold_semantic_pairs
    from inspector.core.map.embed import embed_texts
    from inspector.core.map.models import load_embedder

    texts = pl.concat([frame.get_column("output"), frame.get_column("instruction")]).to_list()
    unique = list(dict.fromkeys(t for t in texts if t.strip()))
    t0 = time.perf_counter()
    vectors = embed_texts(unique, "default", cache=False)
    t_embed = time.perf_counter() - t0
    model = load_embedder("default").model  # type: ignore[attr-defined]
    out: dict[str, Any] = {
        "texts": len(texts),
        "unique_texts": len(unique),
        "what": "AlpacaEval answers + instructions, Inspector default model (model2vec)",
        "embed_seconds": round(t_embed, 2),
        "per_threshold": {},
    }
    for t in thresholds:
        runs_ours, runs_theirs = [], []
        for _ in range(3):
            t0 = time.perf_counter()
            pairs = threshold_semantic_pairs(vectors, t)
            groups = groups_from_pairs(len(vectors), pairs, "semantic_duplicate")
            runs_ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sh = SemHash.from_embeddings(vectors, unique, model=model)
            result = sh.self_deduplicate(threshold=t)
            runs_theirs.append(time.perf_counter() - t0)
        ours = {(a, b) for a, b in groups.pairs.select("a", "b").iter_rows()}
        neighbors = sh.index.query_threshold(sh.index.vectors, threshold=t)
        theirs = {
            (min(i, int(j)), max(i, int(j)))
            for i, (js, _) in enumerate(neighbors)
            for j in js
            if int(j) != i
        }
        removed_theirs = len(result.filtered)
        out["per_threshold"][str(t)] = {
            "seconds": {"ours": round(min(runs_ours), 3), "semhash": round(min(runs_theirs), 3)},
            "time_ratio_semhash_over_ours": round(min(runs_theirs) / min(runs_ours), 2),
            "pairs": _f1(ours, theirs),
            "rows_removed": {"ours": int(groups.removed.sum()), "semhash": removed_theirs},
        }
    return out


def calibration_on_sample(frame: pl.DataFrame) -> dict[str, Any]:
    """The measurement behind the default model's semantic threshold: on the sample's answers,
    how many rows have a neighbour at each cosine, beside the rows that are exact copies."""
    from inspector.core.junk.duplicates import Calibration, find_exact_duplicates
    from inspector.core.map.embed import embed_texts
    from inspector.core.map.neighbors import knn_graph

    answers = frame.get_column("output")
    vectors = embed_texts(answers.to_list(), "default")
    idx, sims = knn_graph(vectors, k=15)
    valid = np.linalg.norm(vectors, axis=1) > 0
    exact = find_exact_duplicates(answers)
    cal = Calibration(idx, sims, valid)
    thresholds = [0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99, 0.995]
    counts = cal.counts(thresholds)
    near = cal.pairs_near(0.98, 3)
    # each prompt was answered by three models: a pair of answers to the same prompt says the
    # same thing; a pair across prompts is a false "duplicate"
    prompt = np.array([int(i.split("/")[-1]) for i in frame.get_column("id")])
    pairs = cal.pairs
    a, b = pairs.get_column("a").to_numpy(), pairs.get_column("b").to_numpy()
    s = pairs.get_column("similarity").to_numpy()
    same = prompt[a] == prompt[b]
    bands = [(0.85, 0.9), (0.9, 0.93), (0.93, 0.95), (0.95, 0.97), (0.97, 0.98), (0.98, 1.01)]
    precision = {
        f"[{lo}, {hi})": {"pairs": int(m.sum()), "same_prompt": round(float(same[m].mean()), 3)}
        for lo, hi in bands
        if (m := (s >= lo) & (s < hi)).any()
    }
    at_least = {str(t): round(float(same[s >= t].mean()), 3) for t in (0.9, 0.93, 0.95, 0.97, 0.98)}
    return {
        "same_prompt_share_by_band": precision,
        "same_prompt_share_at_or_above": at_least,
        "rows": len(answers),
        "exact_duplicate_rows": int(exact.in_group.sum()),
        "counts": counts.to_dicts(),
        "pairs_near_0.98": [
            {
                "a": answers[r["a"]][:80],
                "b": answers[r["b"]][:80],
                "similarity": round(r["similarity"], 4),
            }
            for r in near.iter_rows(named=True)
        ],
    }


# -- dedup alone, process start to files written ------------------------------------------

SEMHASH_SCRIPT = """
import json, sys
from model2vec import StaticModel
from semhash import SemHash
model = StaticModel.from_pretrained(sys.argv[3])
texts = [json.loads(line)["output"] for line in open(sys.argv[1], encoding="utf-8")]
result = SemHash.from_records(texts, model=model).self_deduplicate(threshold=float(sys.argv[4]))
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for text in result.selected:
        f.write(json.dumps({"output": text}) + "\\n")
print(len(result.filtered))
"""


def varied_answers(frame: pl.DataFrame, rows: int, seed: int = 0) -> pl.DataFrame:
    """``rows`` answers: the sample's, then copies of it in turn where a fifth of each
    answer's words are replaced by words of another answer (a static model is blind to word
    order, so only new words move a copy away from its original)."""
    rng = np.random.default_rng(seed)
    answers = frame.get_column("output").to_list()
    ids = frame.get_column("id").to_list()
    split = [a.split(" ") for a in answers]
    out_id, out_text = [], []
    turn = 0
    while len(out_id) < rows:
        for i, words in enumerate(split):
            if len(out_id) >= rows:
                break
            if turn:
                words = list(words)
                other = split[int(rng.integers(len(split)))]
                for _ in range(max(1, len(words) // 5)):
                    words[int(rng.integers(len(words)))] = other[int(rng.integers(len(other)))]
            out_id.append(f"{ids[i]}#{turn}")
            out_text.append(" ".join(words))
        turn += 1
    prompts = frame.get_column("instruction").to_list()
    return pl.DataFrame(
        {
            "id": out_id,
            "instruction": [prompts[k % len(prompts)] for k in range(len(out_id))],
            "output": out_text,
        }
    )


def _timed_process(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall seconds from process start to exit, and its CPU seconds (user + system)."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{cmd[:3]} failed: {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": round(wall, 2), "cpu": round(cpu, 2), "stdout": done.stdout}


def bench_dedup_cli(
    frame: pl.DataFrame, sizes: tuple[int, ...], repeats: int = 3
) -> dict[str, Any]:
    """``inspector analyze --only duplicates --dedup-on output`` beside a semhash script on the
    same answers, the same model2vec model (Inspector's default, as prepared in models_dir())
    and threshold: each a fresh process, timed from its start until its files are written,
    run in turns (ours, theirs, ours, ...) so a busy machine slows both alike. Ours starts
    with empty caches each time (no vectors or graph kept from an earlier run), plus one
    warm run (vectors and graph cached, as a second analysis of the same data)."""
    import shutil
    import tempfile

    from inspector.core.map.models import default_model_dir, prepare_default

    prepare_default()
    model_dir = default_model_dir()
    threshold = 0.98
    report: dict[str, Any] = {
        "model": str(model_dir.name),
        "threshold": threshold,
        "what": "AlpacaEval answers; larger sets: the answers again with a fifth of the words "
        "of each copy replaced from another answer",
        "sizes": {},
    }
    with tempfile.TemporaryDirectory(prefix="bench-dedup-") as tmp:
        root = Path(tmp)
        script = root / "semhash_dedup.py"
        script.write_text(SEMHASH_SCRIPT)
        for rows in sizes:
            load_before = [round(x, 2) for x in os.getloadavg()]
            data = root / f"answers-{rows}.jsonl"
            sample = frame if rows == len(frame) else varied_answers(frame, rows)
            sample.write_ndjson(data)
            ours_runs, theirs_runs = [], []
            removed: dict[str, int] = {}
            for r in range(repeats):
                home = root / f"home-{rows}-{r}"
                env = {
                    **os.environ,
                    "INSPECTOR_HOME": str(home),
                    "INSPECTOR_MODEL_DIR": str(model_dir.parent),
                }
                out = root / f"out-{rows}-{r}"
                ours_cmd = [
                    sys.executable, "-m", "inspector", "analyze", str(data), "--out", str(out),
                    "--only", "duplicates", "--dedup-on", "output",
                    "--threshold", str(threshold),
                ]  # fmt: skip
                run = _timed_process(ours_cmd, env)
                stages = json.loads((out / "run.json").read_text())["seconds_per_stage"]
                ours_runs.append({"wall": run["wall"], "cpu": run["cpu"], "stages": stages})
                picked = root / f"semhash-{rows}-{r}.jsonl"
                cmd = [sys.executable, str(script), str(data), str(picked), str(model_dir)]
                run = _timed_process([*cmd, str(threshold)], env)
                theirs_runs.append({"wall": run["wall"], "cpu": run["cpu"]})
                removed["semhash"] = int(run["stdout"].split()[-1])
                filt = pl.read_parquet(out / "proposed_filter.parquet")
                removed["inspector"] = int((filt["action"] == "remove").sum())
                if r < repeats - 1:
                    shutil.rmtree(out)
            warm = _timed_process(ours_cmd, env)  # the last home's caches now hold the vectors
            best_ours = min(ours_runs, key=lambda x: x["wall"])
            best_theirs = min(theirs_runs, key=lambda x: x["wall"])
            walls_ours = [x["wall"] for x in ours_runs]
            walls_theirs = [x["wall"] for x in theirs_runs]
            report["sizes"][str(rows)] = {
                "rows": rows,
                "load_average_before": load_before,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "median": {
                    "inspector_wall": float(np.median(walls_ours)),
                    "semhash_wall": float(np.median(walls_theirs)),
                    "inspector_cpu": float(np.median([x["cpu"] for x in ours_runs])),
                    "semhash_cpu": float(np.median([x["cpu"] for x in theirs_runs])),
                    "wall_ratio_semhash_over_inspector": round(
                        float(np.median(walls_theirs)) / float(np.median(walls_ours)), 2
                    ),
                },
                "inspector_cold": best_ours,
                "inspector_warm": {"wall": warm["wall"], "cpu": warm["cpu"]},
                "semhash": best_theirs,
                "all_walls": {
                    "inspector": [x["wall"] for x in ours_runs],
                    "semhash": [x["wall"] for x in theirs_runs],
                },
                "wall_ratio_semhash_over_inspector": round(
                    best_theirs["wall"] / best_ours["wall"], 2
                ),
                "cpu_ratio_semhash_over_inspector": round(
                    best_theirs["cpu"] / max(best_ours["cpu"], 1e-9), 2
                ),
                "rows_removed": removed,
                "target": "inspector wall <= semhash wall",
            }
    return report


# -- 1M rows ---------------------------------------------------------------------------------


def million_rows(
    frame: pl.DataFrame, rows: int, seed: int = 0
) -> tuple[pl.DataFrame, dict[str, int]]:
    """``rows`` samples with the sample's length distribution: a real instruction, and an
    answer made of as many sentences as a real answer, drawn from all the sample's sentences
    (so rows are distinct), plus planted copies: 10% exact (case and spacing changed), 5% near
    (one word changed in a copy)."""
    rng = np.random.default_rng(seed)
    prompts = frame.get_column("instruction").to_numpy()
    pieces = [a.replace("\n", " \n ").split(". ") for a in frame.get_column("output").to_list()]
    pool = np.array([p for ps in pieces for p in ps], dtype=object)
    sizes = np.array([len(ps) for ps in pieces])
    n_exact, n_near = rows // 10, rows // 20
    base = rows - n_exact - n_near
    out_p = prompts[rng.integers(0, len(prompts), size=base)].tolist()
    counts = sizes[rng.integers(0, len(sizes), size=base)]
    drawn = pool[rng.integers(0, len(pool), size=int(counts.sum()))]
    ends = np.cumsum(counts)
    out_r = [". ".join(drawn[e - c : e]) for e, c in zip(ends, counts, strict=True)]
    src = rng.integers(0, base, size=n_exact)
    out_p += [out_p[s].upper() for s in src]
    out_r += ["  " + out_r[s] for s in src]
    src = rng.integers(0, base, size=n_near)
    for s in src:
        words = out_r[s].split(" ")
        words[rng.integers(0, len(words))] = "changed"
        out_p.append(out_p[s])
        out_r.append(" ".join(words))
    df = pl.DataFrame({"id": np.arange(rows), "instruction": out_p, "output": out_r})
    return df, {"planted_exact": n_exact, "planted_near": n_near}


class _Clock:
    """Wall and CPU seconds (all threads) since the last lap: the machine may be shared, and
    CPU seconds / cores is what the wall time would be on an idle one."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> dict[str, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = {"wall": round(wall - self.wall, 1), "cpu": round(cpu - self.cpu, 1)}
        self.wall, self.cpu = wall, cpu
        return out


def planted_vectors(rows: int, dims: int = 256, seed: int = 0) -> tuple[np.ndarray, int]:
    """Synthetic unit vectors: 2,000 topics of Zipf sizes, plus 5% planted near copies
    (cosine ~0.99 to their original)."""
    rng = np.random.default_rng(seed)
    topics = 2000
    centres = rng.normal(size=(topics, dims)).astype(np.float32)
    sizes = 1.0 / np.arange(1, topics + 1) ** 0.8
    n_copy = rows // 20
    base = rows - n_copy
    v = centres[rng.choice(topics, size=base, p=sizes / sizes.sum())]
    v = v + rng.normal(scale=0.6, size=(base, dims)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    src = rng.integers(0, base, size=n_copy)
    copies = v[src] + rng.normal(scale=0.005, size=(n_copy, dims)).astype(np.float32)
    return np.concatenate([v, copies / np.linalg.norm(copies, axis=1, keepdims=True)]), n_copy


def semantic_million(
    rows: int, dims: int = 256, seed: int = 0, knn: bool = False, recall_rows: int = 3000
) -> dict[str, Any]:
    """The semantic finder at ``rows`` rows on synthetic vectors (:func:`planted_vectors`;
    the vectors taken as existing: cached, or a column of the file): the pairs at cosine
    >= 0.98 as analyze finds them (``cosine_pairs``), then groups; with ``knn`` also the old
    route (kNN graph k=15, ivf at this size, then its pairs above the threshold). Untimed
    afterwards: recall against every pair of ``recall_rows`` sampled planted copies (every
    pair at 0.98 here has a copy in it)."""
    from inspector.core.junk.cosine_pairs import cosine_pairs
    from inspector.core.junk.duplicates import find_semantic_duplicates, groups_from_pairs
    from inspector.core.map.neighbors import knn_graph

    v, n_copy = planted_vectors(rows, dims, seed)
    clock = _Clock()
    a, b, s = cosine_pairs(v, 0.98)
    t_pairs = clock.lap()
    pairs = pl.DataFrame({"a": a, "b": b, "similarity": s})
    groups = groups_from_pairs(rows, pairs, "semantic_duplicate")
    t_groups = clock.lap()
    out: dict[str, Any] = {
        "rows": rows,
        "planted_near_copies": n_copy,
        "method": "cosine_pairs (k-means cells of ~sqrt(n) rows, bisector probes)",
        "pairs": len(pairs),
        "rows_removed": int(groups.removed.sum()),
        "seconds": {
            "pairs": t_pairs,
            "groups": t_groups,
            "total_wall": round(t_pairs["wall"] + t_groups["wall"], 1),
            "total_cpu": round(t_pairs["cpu"] + t_groups["cpu"], 1),
        },
        "sampled_recall": _sampled_recall(v, a, b, 0.98, n_copy, recall_rows, seed),
    }
    if knn:
        clock = _Clock()
        idx, sims = knn_graph(v, k=15, cache=False)
        t_knn = clock.lap()
        old = find_semantic_duplicates(idx, sims, 0.98)
        out["knn_route"] = {
            "rows_removed": int(old.removed.sum()),
            "seconds": {"knn": t_knn, "pairs_and_groups": clock.lap()},
        }
    return out


def _every_pair(v: np.ndarray, queries: np.ndarray, t: float) -> set[tuple[int, int]]:
    """Every pair of a query row at cosine >= t (the cosine cosine_pairs reports)."""
    from inspector.core.junk.cosine_pairs import pair_cosines

    out: set[tuple[int, int]] = set()
    for start in range(0, len(queries), 1024):
        q = queries[start : start + 1024]
        qi, bi = np.nonzero(v[q] @ v.T >= t - 1e-3)
        a, b = q[qi], bi
        keep = a != b
        a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
        ok = pair_cosines(v, a, b) >= np.float32(t)
        out.update(zip(a[ok].tolist(), b[ok].tolist(), strict=True))
    return out


def _sampled_recall(
    v: np.ndarray, a: np.ndarray, b: np.ndarray, t: float, n_copy: int, rows: int, seed: int
) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 1)
    q = np.sort(rng.choice(np.arange(len(v) - n_copy, len(v)), rows, replace=False))
    truth = _every_pair(v, q, t)
    qs = set(q.tolist())
    found = {p for p in zip(a.tolist(), b.tolist(), strict=True) if p[0] in qs or p[1] in qs}
    return {
        "query_rows": rows,
        "pairs_of_those_rows": len(truth),
        "recall": round(len(found & truth) / max(1, len(truth)), 5),
        "false_pairs": len(found - truth),
    }


def pair_recall(rows: int = 50_000, threshold: float = 0.98) -> dict[str, Any]:
    """``cosine_pairs`` (analyze's route, and with ``exact``) against every pair (blocked
    products over all rows) on :func:`planted_vectors`: recall, and the seconds of each."""
    from inspector.core.junk.cosine_pairs import cosine_pairs

    v, _ = planted_vectors(rows)
    clock = _Clock()
    a, b, _s = cosine_pairs(v, threshold)
    t_cells = clock.lap()
    ea, eb, _es = cosine_pairs(v, threshold, exact=True)
    t_exact = clock.lap()
    exact = _every_pair(v, np.arange(rows), threshold)
    t_all = clock.lap()
    return {
        "rows": rows,
        "threshold": threshold,
        "pairs_exact": len(exact),
        "cosine_pairs": _route_score(a, b, exact, t_cells, "cosine_pairs (default)"),
        "cosine_pairs_exact": _route_score(ea, eb, exact, t_exact, "cosine_pairs(exact=True)"),
        "all_pairs_seconds": t_all,
    }


def _route_score(
    a: np.ndarray, b: np.ndarray, exact: set, secs: Any, method: str
) -> dict[str, Any]:
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    return {
        "method": method,
        "pairs_found": len(found),
        "recall": round(len(found & exact) / max(1, len(exact)), 5),
        "false_pairs": len(found - exact),
        "seconds": secs,
    }


def semantic_routes(
    frame: pl.DataFrame,
    rows: int = 32_192,
    thresholds: tuple[float, ...] = (0.9, 0.95, 0.98, 0.99),
) -> dict[str, Any]:
    """On real answers (:func:`varied_answers`, the default model's vectors, cached after a
    first run), per threshold: the pairs and their groups by ``cosine_pairs`` (analyze's
    route), by it with ``exact``, and by the kNN graph (ivf, k=15: analyze's route above 20k
    rows before), against every pair."""
    from inspector.core.junk.cosine_pairs import cosine_pairs
    from inspector.core.junk.duplicates import components, semantic_pairs
    from inspector.core.map.embed import embed_texts
    from inspector.core.map.neighbors import knn_graph

    v = embed_texts(varied_answers(frame, rows).get_column("output").to_list(), "default")
    out: dict[str, Any] = {"rows": rows}
    clock = _Clock()
    idx, sims = knn_graph(v, k=15, cache=False, method="ivf")
    t_graph = clock.lap()
    for t in thresholds:
        clock = _Clock()
        a, b, _s = cosine_pairs(v, t)
        t_cells = clock.lap()
        ea, eb, _es = cosine_pairs(v, t, exact=True)
        t_exact = clock.lap()
        graph = semantic_pairs(idx, sims, t)
        t_graph_pairs = clock.lap()
        exact = _every_pair(v, np.arange(rows), t)
        t_all = clock.lap()
        pairs = np.array(sorted(exact), dtype=np.int64).reshape(-1, 2)
        truth = components(rows, pairs[:, 0], pairs[:, 1])
        entry: dict[str, Any] = {"pairs_all": len(exact)}
        routes = {
            "cosine_pairs": (a, b, t_cells),
            "cosine_pairs_exact": (ea, eb, t_exact),
            "graph_ivf_k15": (
                graph["a"].to_numpy(),
                graph["b"].to_numpy(),
                {"graph": t_graph, "pairs": t_graph_pairs},
            ),
        }
        for name, (ra, rb, secs) in routes.items():
            found = set(zip(ra.tolist(), rb.tolist(), strict=True))
            group = components(rows, ra, rb)
            entry[name] = {
                "recall": round(len(found & exact) / max(1, len(exact)), 5),
                "false_pairs": len(found - exact),
                "rows_in_groups": int((group >= 0).sum()),
                "same_groups_as_all_pairs": bool(np.array_equal(group, truth)),
                "seconds": secs,
            }
        entry["all_pairs"] = {"rows_in_groups": int((truth >= 0).sum()), "seconds": t_all}
        out[str(t)] = entry
    return out


def embed_rate(frame: pl.DataFrame, rows: int = 20_000) -> dict[str, Any]:
    """Rows per second of the default model on ``rows`` varied answers, no cache: what a
    cold 1M-row run adds before any duplicate is found."""
    from inspector.core.map.embed import embed_texts

    texts = varied_answers(frame, rows).get_column("output").to_list()
    clock = _Clock()
    embed_texts(texts, "default", cache=False)
    t = clock.lap()
    return {
        "rows": rows,
        "seconds": t,
        "rows_per_second": round(rows / max(t["wall"], 1e-9)),
        "minutes_for_1M_rows": round(1_000_000 / max(rows / max(t["wall"], 1e-9), 1) / 60, 1),
    }


def bench_million(
    frame: pl.DataFrame, rows: int, quality: bool = True, graph: bool = False
) -> dict[str, Any]:
    from inspector.core.data.normalize import LEXICAL, combined_text
    from inspector.core.junk import minhash
    from inspector.core.junk.duplicates import find_exact_duplicates, find_minhash_duplicates
    from inspector.core.junk.quality import evaluate
    from inspector.core.junk.quality_rules import load_rules, published_rules

    load_before = [round(x, 2) for x in os.getloadavg()]
    t0 = time.perf_counter()
    big, planted = million_rows(frame, rows)
    t_build = time.perf_counter() - t0
    texts = combined_text(big, ["instruction", "output"])
    out: dict[str, Any] = {
        "rows": rows,
        "text_bytes": int(texts.str.len_bytes().sum()),
        "what": "sample answers with shuffled sentences (same length distribution) + planted copies",
        **planted,
        "build_seconds": round(t_build, 1),
    }
    clock = _Clock()
    exact = find_exact_duplicates(texts)
    t_exact = clock.lap()
    alive = np.flatnonzero(~exact.removed)
    sig = minhash.text_signatures(texts.gather(alive), norm=LEXICAL)
    t_sig = clock.lap()
    near = find_minhash_duplicates(signatures=sig)
    t_lsh = clock.lap()
    out["exact_minhash"] = {
        "seconds": {
            "exact": t_exact,
            "minhash_signatures": t_sig,
            "lsh_and_groups": t_lsh,
            "total_wall": round(t_exact["wall"] + t_sig["wall"] + t_lsh["wall"], 1),
            "total_cpu": round(t_exact["cpu"] + t_sig["cpu"] + t_lsh["cpu"], 1),
        },
        "exact_rows_removed": int(exact.removed.sum()),
        "minhash_rows_removed": int(near.removed.sum()),
        "target_seconds": 120,
    }
    del sig, texts
    out["semantic_synthetic_vectors"] = semantic_million(rows, knn=graph)
    out["exact_minhash_semantic_total_wall"] = round(
        out["exact_minhash"]["seconds"]["total_wall"]
        + out["semantic_synthetic_vectors"]["seconds"]["total_wall"],
        1,
    )
    out["exact_minhash_semantic_total_cpu"] = round(
        out["exact_minhash"]["seconds"]["total_cpu"]
        + out["semantic_synthetic_vectors"]["seconds"]["total_cpu"],
        1,
    )
    knn_route = out["semantic_synthetic_vectors"].get("knn_route")
    if knn_route:  # what analyze ran above 20,000 rows before cosine_pairs: the ivf graph
        secs = knn_route["seconds"]
        em = out["exact_minhash"]["seconds"]
        out["analyze_route_total"] = {
            "what": "exact + MinHash + semantic by the ivf kNN graph (k=15) and its pairs "
            "(analyze's route above 20k rows before cosine_pairs)",
            "wall": round(
                em["total_wall"] + secs["knn"]["wall"] + secs["pairs_and_groups"]["wall"], 1
            ),
            "cpu": round(em["total_cpu"] + secs["knn"]["cpu"] + secs["pairs_and_groups"]["cpu"], 1),
        }
    out["load_average_before"] = load_before
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    out["condition"] = (
        "vectors already computed (cached from an earlier run, or a column of the file); a "
        "cold run embeds first: see embedding_rate"
    )
    if not quality:
        return out
    fields = {"prompt": "instruction", "response": "output"}
    for name, rules in (
        ("quality_default_rules", load_rules()),
        ("quality_all_rules", published_rules(("prompt", "response"))),
    ):
        clock = _Clock()
        res = evaluate(big, fields, rules)
        out[name] = {
            "seconds": clock.lap(),
            "rules": len(rules.enabled),
            "flag_columns": sum(c.endswith(".flag") for c in res.columns),
            "any_flag_rate": round(float(res.get_column("any_flag").mean()), 4),
            "target_seconds": 60,
        }
    return out


def default_flag_rate(frame: pl.DataFrame) -> dict[str, Any]:
    """The shipped defaults on the sample (prompt and response sides)."""
    from inspector.core.junk.quality import evaluate
    from inspector.core.junk.quality_rules import load_rules

    res = evaluate(frame, {"prompt": "instruction", "response": "output"}, load_rules())
    per_rule = {
        c.removesuffix(".flag"): int(res.get_column(c).sum())
        for c in res.columns
        if c.endswith(".flag") and res.get_column(c).sum()
    }
    return {
        "rows": len(frame),
        "any_flag_rate": round(float(res.get_column("any_flag").mean()), 4),
        "rows_flagged": int(res.get_column("any_flag").sum()),
        "per_rule": per_rule,
    }


def merge_keeping_history(previous: dict[str, Any], report: dict[str, Any], run: int) -> None:
    """``report``'s parts into ``previous``; a figure it replaces moves to ``history`` (with
    the index in ``runs`` of the run that replaced it), and dedup_cli sizes not measured
    this time stay."""
    history = previous.setdefault("history", [])
    for key, value in report.items():
        old = previous.get(key)
        if key in ("machine", "sample") or old is None:
            previous[key] = value
            continue
        if key == "dedup_cli_vs_semhash" and "sizes" in old:
            for size, entry in value["sizes"].items():
                if size in old["sizes"]:
                    history.append({"key": f"{key}.sizes.{size}", "replaced_by_run": run,
                                    "value": old["sizes"][size]})  # fmt: skip
                old["sizes"][size] = entry
            previous[key] = {**old, **{k: v for k, v in value.items() if k != "sizes"}}
            continue
        history.append({"key": key, "replaced_by_run": run, "value": old})
        previous[key] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", default="defaults,rules,semantic,million")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--repeat", type=int, default=3, help="million_dedup: runs (best kept)")
    parser.add_argument(
        "--cli-rows", default="", help="dedup_cli: sizes, comma-separated (default 2415,32192)"
    )
    parser.add_argument(
        "--cli-repeat", type=int, default=3, help="dedup_cli: runs of each side (median kept)"
    )
    args = parser.parse_args()
    only = set(args.only.split(","))
    frame = pl.read_ndjson(SAMPLE)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "sample": str(SAMPLE.name),
    }
    if "defaults" in only:
        report["default_flag_rate"] = default_flag_rate(frame)
    if "rules" in only:
        report["rules_vs_datatrove"] = bench_rules(frame)
    if "semantic" in only:
        report["semantic_vs_semhash"] = bench_semantic(frame, (0.9, 0.95, 0.98))
        report["default_model_calibration"] = calibration_on_sample(frame)
    if "dedup_cli" in only:
        sizes = tuple(int(r) for r in args.cli_rows.split(",") if r) or (len(frame), 32_192)
        report["dedup_cli_vs_semhash"] = bench_dedup_cli(frame, sizes, args.cli_repeat)
    if "million" in only:
        report["million_rows"] = bench_million(frame, args.rows)
    if "million_dedup" in only:  # exact + MinHash + semantic only (no quality rules)
        graph = "graph" in only  # also the kNN-graph route analyze took above 20k rows before
        runs = [
            bench_million(frame, args.rows, quality=False, graph=graph) for _ in range(args.repeat)
        ]
        best = min(runs, key=lambda r: r["exact_minhash_semantic_total_wall"])
        report["million_rows_dedup"] = {
            **best,
            "all_totals_wall": [r["exact_minhash_semantic_total_wall"] for r in runs],
            "all_totals_cpu": [r["exact_minhash_semantic_total_cpu"] for r in runs],
            "target_seconds": 120,
        }
    if "pair_recall" in only:
        report["cosine_pairs_recall"] = pair_recall()
    if "semantic_routes" in only:
        report["semantic_routes_real"] = semantic_routes(frame)
    if "embed_rate" in only:
        report["embedding_rate"] = embed_rate(frame)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        previous = json.loads(args.out.read_text()) if args.out.is_file() else {}
        runs = previous.get("runs", [])
        if not runs and "machine" in previous:
            runs.append({"parts": "defaults,rules,semantic,million", **previous["machine"]})
        runs.append({"parts": args.only, **report["machine"]})
        merge_keeping_history(previous, report, len(runs) - 1)
        previous["runs"] = runs
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
