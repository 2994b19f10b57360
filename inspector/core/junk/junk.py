"""Find the junk: duplicates, quality flags, outliers and eval leakage in one job.

``analyze_junk`` runs the finders in order of strictness, each on what the previous one kept:
exact duplicates on all rows, MinHash on the rows that are not exact copies, semantic
duplicates on the neighbour graph projected onto the rows left after that. A row therefore
has one duplicate group and one reason (the strictest finder that matched it), and its
representative is the row finally kept for the whole group. Nothing is removed: the result
lists proposals for a person to review.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from inspector.core.data.normalize import EXACT, LEXICAL, Normalization, combined_text
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.junk import duplicates, minhash
from inspector.core.junk.eval_leaks import find_eval_leaks
from inspector.core.junk.groups import projected_pairs
from inspector.core.junk.quality_rules import RuleSet, load_rules
from inspector.core.map.models import normalise

#: Used when no model threshold is given: the count of rows at cosine ≥ 0.98 is where the
#: default static model's semantic pairs approach the real exact duplicates (measured).
DEFAULT_SEMANTIC_THRESHOLD = 0.98
_STRICTNESS = {
    duplicates.EXACT_DUPLICATE: 0,
    duplicates.MINHASH_DUPLICATE: 1,
    duplicates.SEMANTIC_DUPLICATE: 2,
}


@dataclass
class EvalSet:
    """An evaluation set to check for leakage: its texts, ids and optionally vectors.
    ``columns`` are the training fields compared with it (default: the duplicate fields);
    ``vectors`` are compared with the training vectors given to analyze_junk."""

    texts: pl.Series | Sequence[str | None]
    ids: pl.Series | Sequence[Any] | None = None
    columns: Sequence[str] | None = None
    vectors: np.ndarray | None = None
    semantic_threshold: float | None = None
    jaccard_threshold: float | None = 0.8


@dataclass
class JunkResult:
    """Per-row findings (``table``) plus each finder's own result for drill-down."""

    table: pl.DataFrame
    rules: RuleSet
    exact: duplicates.DuplicateGroups | None = None
    minhash: duplicates.DuplicateGroups | None = None
    semantic: duplicates.DuplicateGroups | None = None
    flag_columns: list[str] = field(default_factory=list)
    # flags listed (in the summary, the Issues lists) but not proposed for removal
    listed_columns: list[str] = field(default_factory=list)
    # dataset-level findings (e.g. preference pairs' length bias), one dict each
    findings: list[dict[str, Any]] = field(default_factory=list)

    def proposals(self) -> pl.DataFrame:
        """One row per (sample, reason) proposed for removal: id, action, reason, group_id,
        representative_id, similarity, score. Duplicates point at the kept representative;
        quality flags carry the rule's value as score; eval leaks the matched eval id."""
        t = self.table
        id_type = t.schema["id"]
        schema = {
            "id": id_type,
            "action": pl.String,
            "reason": pl.String,
            "group_id": pl.Int64,
            "representative_id": id_type,
            "similarity": pl.Float32,
            "score": pl.Float64,
        }
        parts = [
            t.filter(pl.col("dup_removed")).select(
                "id",
                action=pl.lit("remove"),
                reason=pl.col("dup_kind"),
                group_id=pl.col("dup_group"),
                representative_id=pl.col("dup_representative"),
                similarity=pl.col("dup_similarity"),
                score=pl.col("dup_similarity").cast(pl.Float64),
            )
        ]
        if "eval_leak" in t.columns:
            parts.append(
                t.filter(pl.col("eval_leak")).select(
                    "id",
                    action=pl.lit("remove"),
                    reason=pl.lit("eval_leak"),
                    group_id=pl.lit(None, pl.Int64),
                    representative_id=pl.lit(None, id_type),
                    similarity=pl.col("eval_similarity"),
                    score=pl.col("eval_similarity").cast(pl.Float64),
                )
            )
        from inspector.core.junk.quality import proposal_actions

        actions = proposal_actions(self.rules)
        for flag in self.flag_columns:
            value = flag.removesuffix(".flag")
            parts.append(
                t.filter(pl.col(flag)).select(
                    "id",
                    action=pl.lit(actions.get(value, "remove")),  # the rule's: flag or remove
                    reason=pl.lit(value),
                    group_id=pl.lit(None, pl.Int64),
                    representative_id=pl.lit(None, id_type),
                    similarity=pl.lit(None, pl.Float32),
                    score=pl.col(value).cast(pl.Float64) if value in t.columns else pl.lit(None),
                )
            )
        return pl.concat([p.cast(schema) for p in parts]).select(list(schema))  # type: ignore[arg-type]

    def summary(self) -> pl.DataFrame:
        """Counts per finder: finder, rows, groups (for duplicates)."""
        from inspector.core.junk.group_lists import list_groups

        t = self.table
        rows: list[dict[str, Any]] = []
        # groups counted as the window's Issues lists count them: each group once, under the
        # loosest finder that joined it; rows = the rows that finder proposes to remove
        listed = list_groups(
            t["dup_group"].fill_null(-1),
            kept=~t["dup_removed"].fill_null(False).to_numpy(),
            kind=t["dup_kind"],
        ).counts()
        for kind in _STRICTNESS:
            groups, members = listed.get(kind, (0, 0))
            rows.append({"finder": kind, "rows": members - groups, "groups": groups})
        if "eval_leak" in t.columns:
            rows.append({"finder": "eval_leak", "rows": int(t["eval_leak"].sum()), "groups": None})
        for flag in self.flag_columns:
            rows.append(
                {"finder": flag.removesuffix(".flag"), "rows": int(t[flag].sum()), "groups": None}
            )
        for flag in self.listed_columns:
            rows.append(
                {"finder": flag.removesuffix(".flag"), "rows": int(t[flag].sum()), "groups": None}
            )
        for finding in self.findings:
            if finding.get("finder") == "length_bias":  # rows: pairs whose chosen is much longer
                rows.append(
                    {"finder": "length_bias", "rows": finding["chosen_much_longer"], "groups": None}
                )
        if "any_flag" in t.columns:
            rows.append(
                {"finder": "any_quality_flag", "rows": int(t["any_flag"].sum()), "groups": None}
            )
        return pl.DataFrame(
            rows, schema={"finder": pl.String, "rows": pl.Int64, "groups": pl.Int64}
        )


def analyze_junk(
    frame: pl.DataFrame,
    *,
    id_col: str,
    prompt_col: str | None = None,
    response_col: str | None = None,
    text_cols: Sequence[str] | None = None,
    chosen_col: str | None = None,
    rejected_col: str | None = None,
    knn: tuple[np.ndarray, np.ndarray] | None = None,
    vectors: np.ndarray | None = None,
    semantic_threshold: float | None = None,
    pairs_from_vectors: bool = False,
    side_vectors: Callable[[list[str]], np.ndarray] | None = None,
    learned_sides: tuple[np.ndarray, np.ndarray] | None = None,
    eval: EvalSet | None = None,
    rules: RuleSet | None = None,
    keep_policy: duplicates.KeepPolicy | str = "first",
    exact: bool = True,
    near: bool = True,
    jaccard_threshold: float = 0.8,
    minhash_params: minhash.MinHashParams = minhash.MinHashParams(),
    normalization: Normalization = EXACT,
    lexical_normalization: Normalization = LEXICAL,
    progress: Progress | None = None,
) -> JunkResult:
    """Duplicates, quality flags, outlier scores and eval leakage for every row of ``frame``.

    ``text_cols`` are the fields compared for duplicates (default: prompt and response).
    ``knn`` is the shared neighbour graph ``(indices, sims)`` of the rows' embeddings; with it
    come semantic duplicates (cosine ≥ ``semantic_threshold``) and the outlier score.
    ``vectors`` (optional) give exact cosines to each group's representative. With
    ``pairs_from_vectors`` the semantic pairs are found from ``vectors`` directly
    (:func:`duplicates.threshold_semantic_pairs`, what ``analyze`` does), else from ``knn``.

    Preference pairs (``chosen_col`` and ``rejected_col``) compared on several fields are near
    copies only when every field is near on its own (:class:`PairSides`): ``side_vectors``
    embeds the candidate rows' field texts (the model that made ``knn``) for the semantic
    finder's per-field cosine; without it each field must be a MinHash near copy.
    ``learned_sides``: the learned model's keep probability of each pair's chosen and rejected
    side (the pair check ``chosen_flagged``).
    """
    progress = progress or NULL_PROGRESS
    if id_col not in frame.columns:
        raise ValueError(f"id column {id_col!r} not in the data; it has {frame.columns}")
    n = len(frame)
    ids = frame.get_column(id_col)
    rules = rules or load_rules()
    policy = (
        duplicates.KeepPolicy.parse(keep_policy) if isinstance(keep_policy, str) else keep_policy
    )
    cols = list(text_cols or [c for c in (prompt_col, response_col) if c])
    if not cols:
        cols = [c for c in (chosen_col, rejected_col) if c]
    fields = {
        role: col
        for role, col in (
            ("prompt", prompt_col),
            ("response", response_col),
            ("chosen", chosen_col),
            ("rejected", rejected_col),
        )
        if col
    }

    # quality first: its flag count is the "best_score" keep policy's default score
    from inspector.core.junk.quality import evaluate

    texts = combined_text(frame, cols) if cols else pl.Series("text", [""] * n)
    # the exact finder's keys (the quality rules' too): timed as its stage, not the one before
    progress.status("exact duplicates" if exact and cols else "quality rules", total=1)
    keys = duplicates.exact_keys(texts, normalization)
    valid = keys.get_column("nonempty").to_numpy()  # empty texts: zero vectors
    qual = evaluate(frame, fields, rules, knn=knn, valid=valid, progress=progress)
    flag_cols = [c for c in qual.columns if c.endswith(".flag")]
    progress.check()

    scores = -qual.get_column("n_flags").cast(pl.Float64).to_numpy()
    lengths = texts.str.len_chars().to_numpy()
    priority = duplicates.keep_priority(policy, frame, lengths=lengths, scores=scores, n=n)

    rep = np.arange(n)  # each row's current survivor
    kind = np.full(n, None, dtype=object)
    stage_sim = np.ones(n, dtype=np.float32)
    matched = np.full(n, -1, dtype=np.int64)
    results: dict[str, duplicates.DuplicateGroups | None] = {
        "exact": None,
        "minhash": None,
        "semantic": None,
    }

    def absorb(groups: duplicates.DuplicateGroups, rows: np.ndarray) -> None:
        """Rows removed by ``groups`` (over the subset ``rows``) now follow its representative."""
        removed = np.flatnonzero(groups.removed)
        gone, keeper = rows[removed], rows[groups.representative[removed]]
        kind[gone] = groups.kind
        stage_sim[gone] = groups.similarity[removed]
        matched[gone] = keeper
        rep[gone] = keeper
        rep[:] = rep[rep]  # rows that followed a now-removed row follow its keeper

    guard: SharedPromptGuard | PairSides | None
    if chosen_col and rejected_col and len(cols) > 1:
        guard = PairSides(frame, cols, jaccard_threshold, minhash_params, side_vectors)
    else:
        guard = SharedPromptGuard.build(frame, cols, prompt_col, jaccard_threshold, minhash_params)
    if exact and cols:
        progress.status("exact duplicates", total=1)
        groups = duplicates.find_exact_duplicates(
            texts, norm=normalization, priority=priority, keys=keys
        )
        absorb(groups, np.arange(n))
        results["exact"] = groups
        progress.advance()
    if near and cols:
        progress.status("MinHash near-duplicates", total=1)
        alive = np.flatnonzero(rep == np.arange(n))
        sub = texts.gather(alive)
        sig = minhash.text_signatures(sub, minhash_params, lexical_normalization)
        groups = duplicates.find_minhash_duplicates(
            threshold=jaccard_threshold,
            priority=priority[alive],
            signatures=sig,
            pair_filter=None if guard is None else guard.over(alive),
        )
        absorb(groups, alive)
        results["minhash"] = _lift(groups, alive, n)
        progress.advance()
    by_vectors = pairs_from_vectors and vectors is not None
    if knn is not None or by_vectors:
        progress.status("semantic duplicates", total=1)
        threshold = DEFAULT_SEMANTIC_THRESHOLD if semantic_threshold is None else semantic_threshold
        if by_vectors:
            assert vectors is not None
            pairs = duplicates.threshold_semantic_pairs(vectors, threshold, valid, progress)
            progress.status("semantic duplicates", total=1)  # the pairs are a stage of their own
        else:
            assert knn is not None
            pairs = duplicates.semantic_pairs(knn[0], knn[1], threshold, valid)
        if isinstance(guard, PairSides) and guard.embed is not None and len(pairs):
            # a pair is as similar as its least similar field
            least = guard.least_cosine(pairs["a"].to_numpy(), pairs["b"].to_numpy(), progress)
            progress.status("semantic duplicates", total=1)
            pairs = pairs.with_columns(
                pl.min_horizontal("similarity", pl.Series(least, dtype=pl.Float32))
            ).filter(pl.col("similarity") >= threshold)
        elif guard is not None:
            pairs = pairs.filter(
                pl.Series(guard.keep(pairs["a"].to_numpy(), pairs["b"].to_numpy()))
            )
        pa, pb, ps = projected_pairs(
            rep,
            pairs.get_column("a").to_numpy(),
            pairs.get_column("b").to_numpy(),
            pairs.get_column("similarity").to_numpy(),
        )
        projected = pl.DataFrame({"a": pa, "b": pb, "similarity": ps})
        groups = duplicates.groups_from_pairs(n, projected, duplicates.SEMANTIC_DUPLICATE, priority)
        if vectors is not None:
            unit = normalise(vectors)
            rows = np.flatnonzero(groups.removed)
            cos = np.einsum("ij,ij->i", unit[rows], unit[groups.representative[rows]])
            groups.similarity[rows] = np.clip(cos, -1.0, 1.0)
        absorb(groups, np.arange(n))
        results["semantic"] = groups
        progress.advance()

    table = _table(ids, rep, kind, stage_sim, matched)
    table = pl.concat([table, qual], how="horizontal")
    listed: list[str] = []
    findings: list[dict[str, Any]] = []
    if chosen_col and rejected_col:
        from inspector.core.pairs.finders import LISTED_ONLY, PROPOSED, length_bias, pair_columns

        progress.status("pair checks", total=1)
        prompts = frame.get_column(prompt_col) if prompt_col else pl.Series([""] * n)
        checks = pair_columns(
            frame.with_columns(prompts.alias("__prompt")),
            "__prompt",
            chosen_col,
            rejected_col,
            qual,
            learned=learned_sides,
        )
        table = pl.concat([table, checks], how="horizontal")
        flag_cols += [f for f in PROPOSED if f in checks.columns]
        listed = [f for f in LISTED_ONLY if f in checks.columns]
        findings.append(length_bias(frame.get_column(chosen_col), frame.get_column(rejected_col)))
        progress.advance()
    if eval is not None:
        progress.status("eval leakage", total=1)
        train = combined_text(frame, eval.columns) if eval.columns else texts
        leaks = find_eval_leaks(
            train,
            eval.texts,
            eval.ids,
            norm=normalization,
            lexical_norm=lexical_normalization,
            jaccard_threshold=eval.jaccard_threshold,
            params=minhash_params,
            train_vectors=vectors,
            eval_vectors=eval.vectors,
            semantic_threshold=eval.semantic_threshold,
        )
        table = pl.concat([table, leaks], how="horizontal")
        progress.advance()
    return JunkResult(
        table,
        rules,
        results["exact"],
        results["minhash"],
        results["semantic"],
        flag_cols,
        listed,
        findings,
    )


class SharedPromptGuard:
    """Rows that ask the same prompt are near copies only when every other compared field
    (the response; chosen and rejected) is a near copy on its own: over prompt + answer as
    one text, a long shared prompt would make different answers look alike."""

    def __init__(
        self,
        prompt_keys: np.ndarray,
        sides: list[pl.Series],
        threshold: float,
        params: minhash.MinHashParams,
    ) -> None:
        self.prompt_keys = prompt_keys
        self.sides = sides
        self.threshold = threshold
        self.params = params
        self._signatures: dict[int, np.ndarray] = {}

    @classmethod
    def build(
        cls,
        frame: pl.DataFrame,
        cols: list[str],
        prompt_col: str | None,
        threshold: float,
        params: minhash.MinHashParams,
    ) -> SharedPromptGuard | None:
        if not prompt_col or prompt_col not in cols or len(cols) < 2:
            return None
        keys = duplicates.exact_keys(frame.get_column(prompt_col))
        h1 = keys.get_column("h1").to_numpy()
        h2 = keys.get_column("h2").to_numpy()
        prompt_keys = np.where(keys.get_column("nonempty").to_numpy(), h1 ^ (h2 * 31), 0)
        sides = [frame.get_column(c) for c in cols if c != prompt_col]
        return cls(prompt_keys.astype(np.uint64), sides, threshold, params)

    def keep(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair (a[t], b[t]) of rows: False when they share a (non-empty) prompt and some
        other field is not a near copy."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        out = np.ones(len(a), dtype=bool)
        shared = (self.prompt_keys[a] == self.prompt_keys[b]) & (self.prompt_keys[a] != 0)
        where = np.flatnonzero(shared)
        if not len(where):
            return out
        rows = np.unique(np.concatenate([a[where], b[where]]))
        slot = {int(r): i for i, r in enumerate(rows.tolist())}
        la = np.fromiter((slot[int(r)] for r in a[where]), np.int64, len(where))
        lb = np.fromiter((slot[int(r)] for r in b[where]), np.int64, len(where))
        ok = np.ones(len(where), dtype=bool)
        for side in self.sides:
            sig = minhash.text_signatures(side.gather(rows), self.params)
            ok &= minhash.estimated_jaccard(sig, la, lb) >= self.threshold
        out[where] = ok
        return out

    def over(self, rows: np.ndarray):  # type: ignore[no-untyped-def]
        """:meth:`keep` for pairs numbered within the subset ``rows``."""

        def keep(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return self.keep(rows[a], rows[b])

        return keep


class PairSides:
    """Preference pairs are near copies only when each compared field (prompt, chosen,
    rejected) is near on its own: over the whole pair as one text, a shared prompt and chosen
    side make pairs that differ in the rejected side look alike (on 100k synthetic pairs, five
    per prompt, the whole-pair cosine proposed 90% of the pairs).

    :meth:`keep` (MinHash's pair filter, and the semantic finder's when no model embeds the
    fields) asks each field to be a MinHash near copy; :meth:`least_cosine` gives a pair's
    least per-field cosine, embedding only the candidate rows' field texts with
    ``embed`` (the model of the whole-pair vectors, through its vector cache)."""

    def __init__(
        self,
        frame: pl.DataFrame,
        cols: list[str],
        threshold: float,
        params: minhash.MinHashParams,
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        self.fields = [frame.get_column(c).cast(pl.String).fill_null("") for c in cols]
        self.threshold = threshold
        self.params = params
        self.embed = embed

    @staticmethod
    def _local(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = np.unique(np.concatenate([a, b]))
        return rows, np.searchsorted(rows, a), np.searchsorted(rows, b)

    def keep(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per pair (a[t], b[t]): True when every field is a MinHash near copy (or equal)."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        ok = np.ones(len(a), dtype=bool)
        if not len(a):
            return ok
        rows, la, lb = self._local(a, b)
        for field_texts in self.fields:
            texts = field_texts.gather(rows)
            same = (texts.gather(la) == texts.gather(lb)).to_numpy()
            sig = minhash.text_signatures(texts, self.params)
            ok &= same | (minhash.estimated_jaccard(sig, la, lb) >= self.threshold)
        return ok

    def least_cosine(
        self, a: np.ndarray, b: np.ndarray, progress: Progress | None = None
    ) -> np.ndarray:
        """Per pair, the least cosine over the fields (equal texts: 1; one blank: 0)."""
        assert self.embed is not None
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        least = np.ones(len(a), dtype=np.float32)
        rows, la, lb = self._local(a, b)
        for field_texts in self.fields:
            if progress is not None:
                progress.check()
            texts = field_texts.gather(rows)
            unit = normalise(np.asarray(self.embed(texts.to_list()), dtype=np.float32))
            cos = np.einsum("ij,ij->i", unit[la], unit[lb])
            cos[(texts.gather(la) == texts.gather(lb)).to_numpy()] = 1.0
            least = np.minimum(least, cos)
        return least

    def over(self, rows: np.ndarray):  # type: ignore[no-untyped-def]
        """:meth:`keep` for pairs numbered within the subset ``rows``."""

        def keep(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return self.keep(rows[a], rows[b])

        return keep


def _lift(
    groups: duplicates.DuplicateGroups, rows: np.ndarray, n: int
) -> duplicates.DuplicateGroups:
    """A subset's groups expressed over all n rows."""
    group = np.full(n, -1, dtype=np.int64)
    rep = np.full(n, -1, dtype=np.int64)
    sim = np.zeros(n, dtype=np.float32)
    group[rows] = groups.group
    inside = groups.representative >= 0
    rep[rows[inside]] = rows[groups.representative[inside]]
    sim[rows] = groups.similarity
    pairs = groups.pairs.with_columns(
        pl.Series("a", rows[groups.pairs.get_column("a").to_numpy()]),
        pl.Series("b", rows[groups.pairs.get_column("b").to_numpy()]),
    )
    return duplicates.DuplicateGroups(groups.kind, group, rep, sim, pairs)


def _table(
    ids: pl.Series, rep: np.ndarray, kind: np.ndarray, sim: np.ndarray, matched: np.ndarray
) -> pl.DataFrame:
    """dup_group (by kept row, numbered by first member), dup_kind (a kept row: the loosest
    kind in its group), dup_representative, dup_matched (the row it was matched with),
    dup_similarity (to that row), dup_removed."""
    n = len(rep)
    rows = np.arange(n)
    removed = rep != rows
    size = np.bincount(rep, minlength=n)
    in_group = size[rep] > 1
    group = (
        duplicates.components(n, rows[removed], rep[removed]) if removed.any() else np.full(n, -1)
    )
    strict = np.array([_STRICTNESS.get(k, -1) for k in kind])
    loosest = np.full(n, -1)
    np.maximum.at(loosest, rep[removed], strict[removed])
    names = np.array(list(_STRICTNESS) + [None], dtype=object)
    kind_out = np.where(removed, kind, names[np.where(loosest >= 0, loosest, -1)])
    kind_out[~in_group] = None
    return pl.DataFrame(
        {
            "id": ids,
            "dup_group": pl.Series(np.where(in_group, group, -1), dtype=pl.Int64),
            "dup_kind": pl.Series(kind_out.tolist(), dtype=pl.String),
            "dup_representative": ids.gather(rep),
            "dup_matched": ids.gather(np.maximum(matched, 0)),
            "dup_similarity": pl.Series(np.where(removed, sim, 1.0), dtype=pl.Float32),
            "dup_removed": removed,
        }
    ).with_columns(
        [
            pl.when(pl.lit(pl.Series(in_group))).then(pl.col(c)).otherwise(None).alias(c)
            for c in ("dup_representative", "dup_similarity")
        ]
        + [
            pl.when(pl.col("dup_removed"))
            .then(pl.col("dup_matched"))
            .otherwise(None)
            .alias("dup_matched")
        ]
    )
