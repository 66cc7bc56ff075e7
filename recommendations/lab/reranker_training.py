"""Fine-tuning the cross-encoder.

Data: each training example is a group, one query with its right film first and every hard
negative mined from the first stages' top results for that query; each epoch draws
`group_size - 1` of those negatives afresh, and the loss is softmax cross-entropy over the drawn
group (the right film should win). Groups come from

* labelled queries (e.g. tomt-dev), split BY QUERY: held-out queries are never trained on;
* the catalogue itself: a sentence of a film's synopsis, or a handful of its keywords, asks for
  that film (the sentence or keywords are cut out of the film's text the model reads), so a
  curator with their own catalogue and no labelled queries can train too.

With the fused prior (the search pipeline's score, which the model adds to its logit), a group
trains with that prior only where it is fair and known: a labelled query whose right film the
pipeline retrieved. A labelled query whose right film it missed, and every catalogue query (the
index holds the very sentence it asks with, so the prior would give the answer away), train the
logit alone, with no prior.

`train_reranker()` does it all and writes a versioned artifact; it takes the candidate source
as an argument (reranker_data.RetrievedCandidates: search's own first stages).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from recommendations.lab.progress import Progress, SilentProgress
from recommendations.lab.queries import LabelledQuery
from recommendations.lab.reranker_cost import recipe_grid, scorings, version_cost
from recommendations.lab.reranker_data import CandidateSource, Film, candidates_many, sentences
from recommendations.lab.reranker_evaluation import summaries, variant_ranks
from recommendations.lab.reranker_gate import gated_ranks, validation_gate
from recommendations.lab.split import HELD_OUT_FRACTION, split_by_query, training_split
from recommendations.lab.versions import TrainingResult, version_directory
from recommendations.rerank.base import Candidate
from recommendations.rerank.cost import ServingCost, write_cost
from recommendations.rerank.cross_encoder import (
    CONFIG_FILE,
    METRICS_FILE,
    TRAINING_FILE,
    WEIGHTS_FILE,
    CrossEncoderConfig,
    CrossEncoderModel,
    CrossEncoderReranker,
)
from recommendations.rerank.encoder import (
    load_pretrained_into,
    pack,
    pair_sequence,
    pretrained_config,
    pretrained_weights,
    token_ids,
)
from recommendations.rerank.gate import write_gate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipe:
    # Sized to train in under 45 minutes on a quiet 2-core CPU (docs/benchmarks.md).
    num_layers: int = 3  # the first N pretrained MiniLM blocks: a smaller, faster student
    # A known-item query runs to ~110 tokens (median, tomt-dev): 96 read most of its clues,
    # where 48 read little more than the post's title.
    max_query_tokens: int = 96
    max_doc_tokens: int = 108
    group_size: int = 8  # 1 right film + 7 hard negatives
    groups_per_step: int = 6
    epochs: int = 4
    # Cap on training pairs per epoch (0 = no cap): a time guard above the ~9,400 pairs that
    # tomt-dev's training queries and the catalogue queries make.
    max_pairs: int = 10000
    negatives_from_top: int = 30  # negatives are drawn from these, afresh each epoch
    # Catalogue-generated queries (a synopsis sentence or keywords): a few beside labelled
    # queries (they are not how people ask: more of them rank held-out queries worse), more
    # where a catalogue has none.
    synthetic_queries: int = 100
    synthetic_queries_alone: int = 300
    # Labelled queries whose right film the first stages did not retrieve: train the logit on
    # them without a prior (True), or leave them out.
    train_unretrieved: bool = True
    rerank_depth: int = 20
    candidate_pool: int = 100
    max_validation_queries: int = 0  # 0 = every validation and every held-out query
    # The gate (lab/reranker_gate.py): a query-length band is served only where the version
    # beat the stage before it on at least this many validation queries of that length.
    gate_min_queries: int = 20
    # The serving cost (lab/reranker_cost.py): every setting of these (at most the full one:
    # rerank_depth, max_doc_tokens, max_query_tokens) reranks the validation queries, and the
    # fewest tokens whose nDCG@10 is within cost_margin (about one query of 235 moving from
    # first to second) of the full setting's serves; scored in cost_runtime, as search serves.
    cost_depths: tuple[int, ...] = (20, 15, 10)
    cost_doc_tokens: tuple[int, ...] = (108, 80, 64, 48)
    cost_query_tokens: tuple[int, ...] = (96, 64)
    cost_margin: float = 0.002
    cost_runtime: str = "onnx-int8"
    max_train_queries: int = 0  # 0 = every labelled training query
    encoder_lr: float = 6e-5
    head_lr: float = 1e-3
    # Exponential moving average of the weights over training (its momentum; 0 = off): the
    # model keeps the average, which smooths the last steps' noise (Polyak averaging).
    weight_averaging: float = 0.99
    warmup_fraction: float = 0.1
    use_dense_prior: bool = True
    prior: str = "dense"  # or "fused": the search pipeline's fused score (CrossEncoderConfig)
    prior_scale: float = 20.0  # the prior's initial weight: ~1 suits fused z-scores
    freeze_embeddings: bool = True
    seed: int = 13

    def catalogue_query_count(self, labelled: list[LabelledQuery]) -> int:
        return self.synthetic_queries if labelled else self.synthetic_queries_alone

    @classmethod
    def tiny(cls, **overrides) -> Recipe:
        """For CI and smoke runs: two layers, short texts, a handful of groups."""
        options = {
            "num_layers": 2,
            "max_query_tokens": 24,
            "max_doc_tokens": 40,
            "group_size": 4,
            "groups_per_step": 4,
            "epochs": 3,
            "negatives_from_top": 8,
            "synthetic_queries": 24,
            "synthetic_queries_alone": 24,
            "rerank_depth": 10,
            "candidate_pool": 20,
            "max_validation_queries": 20,
            "gate_min_queries": 3,
            "cost_depths": (10, 5),
            "cost_doc_tokens": (40, 16),
            "cost_query_tokens": (24,),
            "cost_runtime": "tensorflow",  # seconds: no ONNX export
            "max_train_queries": 40,
            "encoder_lr": 1e-4,
            "head_lr": 3e-3,
            "weight_averaging": 0.0,  # a few dozen steps: an average would lag behind them
        }
        return cls(**{**options, **overrides})


def new_model(*, num_layers: int | None = None, **options) -> CrossEncoderModel:
    """A cross-encoder whose encoder starts from the pretrained MiniLM (its first num_layers
    blocks: fewer layers make a smaller, faster student)."""
    config = CrossEncoderConfig(encoder=pretrained_config(num_layers=num_layers), **options)
    model = CrossEncoderModel(config)
    model.build_for_inputs()
    load_pretrained_into(model.encoder, pretrained_weights())
    return model


def save_artifact(
    model: CrossEncoderModel, directory: Path, *, metrics: dict, training: dict
) -> None:
    """The files rerank.cross_encoder.load_model reads, and what the model trained on."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CONFIG_FILE).write_text(json.dumps(model.config.to_dict(), indent=2))
    model.save_weights(str(directory / WEIGHTS_FILE))
    (directory / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    (directory / TRAINING_FILE).write_text(json.dumps(training, indent=2))


@dataclass
class Group:
    query_id: str
    query: str
    docs: list[tuple[int, str]]  # (movie_id, text); the right film first, then its negatives
    prior: list[float] = field(default_factory=list)  # the prior per doc; empty: no prior
    source: str = "labelled"
    # Index vectors of the docs where the candidate source gave them (for the prior).
    vectors: list[np.ndarray | None] = field(default_factory=list, repr=False)

    def drawn(self, size: int, rng: random.Random) -> Group:
        """The right film and `size - 1` of its negatives, drawn at random (an epoch's view)."""
        if len(self.docs) <= size:
            return self
        picked = [0, *sorted(rng.sample(range(1, len(self.docs)), size - 1))]
        return replace(
            self,
            docs=[self.docs[i] for i in picked],
            prior=[self.prior[i] for i in picked] if self.prior else [],
            vectors=[],
        )


# --- Data --------------------------------------------------------------------------------


def _mined_group(
    *,
    query_id: str,
    query: str,
    positive: tuple[int, str],
    candidates: list[Candidate],
    recipe: Recipe,
    source: str,
    positive_vector: np.ndarray | None = None,
) -> Group | None:
    negatives = [c for c in candidates if c.movie_id != positive[0]][: recipe.negatives_from_top]
    if positive_vector is None:  # retrieved, and its text is what we train on
        positive_vector = next(
            (c.vector for c in candidates if c.movie_id == positive[0] and c.text == positive[1]),
            None,
        )
    if len(negatives) < recipe.group_size - 1:
        return None
    prior: list[float] = []
    if recipe.use_dense_prior and recipe.prior == "fused" and source == "labelled":
        # The fused score is known only for films the pipeline retrieved; a right film it
        # missed trains the logit alone (no prior), or not at all.
        retrieved = next((c for c in candidates if c.movie_id == positive[0]), None)
        if retrieved is None and not recipe.train_unretrieved:
            return None
        if retrieved is not None:
            prior = [c.stage_scores["fused"] for c in (retrieved, *negatives)]
    return Group(
        query_id=query_id,
        query=query,
        docs=[positive, *((c.movie_id, c.text) for c in negatives)],
        prior=prior,
        source=source,
        vectors=[positive_vector, *(c.vector for c in negatives)],
    )


def synthetic_queries(films: list[Film], *, count: int, rng: random.Random) -> list[tuple]:
    """(query id, query, film, the film's text with the query cut out)."""
    usable = [f for f in films if sentences(f.synopsis) or len(f.keywords) >= 3]
    out = []
    for film in rng.sample(usable, min(count, len(usable))):
        options = sentences(film.synopsis)
        if options and (len(film.keywords) < 3 or rng.random() < 0.7):
            query = rng.choice(options)
            text = film.text.replace(query, " ").strip()
        else:
            query = ", ".join(rng.sample(list(film.keywords), min(len(film.keywords), 4)))
            text = film.text
            for keyword in film.keywords:
                text = text.replace(keyword, " ")
        out.append((f"catalogue-{film.movie_id}", query, film, " ".join(text.split())))
    return out


def build_groups(
    train_queries: list[LabelledQuery],
    films: list[Film],
    candidates_for: CandidateSource,
    recipe: Recipe,
    progress: Progress,
) -> list[Group]:
    rng = random.Random(recipe.seed)
    texts = {f.movie_id: f.text for f in films}
    vector_of = getattr(candidates_for, "vector_of", lambda movie_id: None)
    k = recipe.negatives_from_top + 1
    generated = synthetic_queries(films, count=recipe.catalogue_query_count(train_queries), rng=rng)
    progress.start(len(train_queries) + len(generated), "mining hard negatives")
    mined = iter(candidates_many(candidates_for, [q.text for q in train_queries], k))
    mined_generated = iter(candidates_many(candidates_for, [g[1] for g in generated], k))
    groups = []
    for query in train_queries:
        group = _mined_group(
            query_id=query.id,
            query=query.text,
            positive=(query.movie_id, texts[query.movie_id]),
            candidates=next(mined),
            recipe=recipe,
            source="labelled",
            positive_vector=vector_of(query.movie_id),
        )
        groups.extend([group] if group else [])
        progress.advance()
    for query_id, query, film, cut_text in generated:
        group = _mined_group(
            query_id=query_id,
            query=query,
            positive=(film.movie_id, cut_text),
            candidates=next(mined_generated),
            recipe=recipe,
            source="catalogue",
        )
        groups.extend([group] if group else [])
        progress.advance()
    if recipe.use_dense_prior and recipe.prior == "dense":
        _attach_dense_prior(groups)
    return groups


def _attach_dense_prior(groups: list[Group]) -> None:
    """The first-stage cosine of each (query, doc) pair, as the reranker will see it."""
    from recommendations.embedding import encode
    from recommendations.query_encoder import encode_queries

    texts = [g.query for g in groups]
    # The query encoder search uses (ONNX), in batches: one pads every text to the longest.
    queries = [v for i in range(0, len(texts), 64) for v in encode_queries(texts[i : i + 64])]
    known: dict[str, np.ndarray | None] = {}
    for group in groups:
        for (_, text), vector in zip(group.docs, group.vectors, strict=True):
            if known.get(text) is None:
                known[text] = vector
    missing = sorted(text for text, v in known.items() if v is None)
    known.update(zip(missing, encode(missing), strict=True))
    for group, query_vector in zip(groups, queries, strict=True):
        group.prior = [float(known[text] @ query_vector) for _, text in group.docs]
        group.vectors = []


def data_hash(groups: list[Group], recipe: Recipe) -> str:
    digest = hashlib.sha256(json.dumps(asdict(recipe), sort_keys=True).encode())
    for g in sorted(groups, key=lambda g: (g.query_id, g.query)):
        digest.update(json.dumps([g.query_id, g.query, g.docs]).encode())
    return digest.hexdigest()


# --- Training ----------------------------------------------------------------------------


class GroupBatcher:
    """Tokenizes once; packs groups into padded pair batches."""

    def __init__(self, recipe: Recipe):
        self.recipe = recipe
        self._doc_ids: dict[str, list[int]] = {}

    def doc_ids(self, texts: list[str]) -> None:
        todo = [t for t in dict.fromkeys(texts) if t not in self._doc_ids]
        for text, ids in zip(todo, token_ids(todo), strict=True):
            self._doc_ids[text] = ids[: self.recipe.max_doc_tokens]

    def batch(self, groups: list[Group]):
        query_ids = token_ids([g.query for g in groups])
        self.doc_ids([text for g in groups for _, text in g.docs])
        rows, prior = [], []
        for group, q_ids in zip(groups, query_ids, strict=True):
            q_ids = q_ids[: self.recipe.max_query_tokens]
            rows.extend(pair_sequence(q_ids, self._doc_ids[text]) for _, text in group.docs)
            prior.extend(group.prior or [0.0] * len(group.docs))
        return pack(rows, bucket=16), np.asarray(prior, dtype=np.float32)


def _train_step_fn(model: CrossEncoderModel, recipe: Recipe, total_steps: int):
    import tensorflow as tf

    keras = __import__("keras")
    warmup = max(1, int(total_steps * recipe.warmup_fraction))

    def schedule(peak: float):
        return keras.optimizers.schedules.PolynomialDecay(
            initial_learning_rate=peak,
            decay_steps=max(1, total_steps - warmup),
            end_learning_rate=peak * 0.05,
        )

    class Warmup(keras.optimizers.schedules.LearningRateSchedule):
        def __init__(self, peak: float):
            self.peak, self.decay = peak, schedule(peak)

        def __call__(self, step):
            step = tf.cast(step, tf.float32)
            return tf.where(
                step < warmup, self.peak * (step + 1) / warmup, self.decay(step - warmup)
            )

    if recipe.freeze_embeddings:
        model.encoder.embeddings.trainable = False
    head_ids = {id(v) for v in model.head_variables()}
    encoder_vars = [v for v in model.trainable_variables if id(v) not in head_ids]
    head_vars = model.head_variables()
    averaging = {"use_ema": bool(recipe.weight_averaging), "ema_momentum": recipe.weight_averaging}
    encoder_opt = keras.optimizers.AdamW(
        learning_rate=Warmup(recipe.encoder_lr), weight_decay=0.01, **averaging
    )
    head_opt = keras.optimizers.Adam(learning_rate=recipe.head_lr, **averaging)
    group_size = recipe.group_size
    spec = tf.TensorSpec([None, None], tf.int32)

    @tf.function(input_signature=[spec, spec, spec, tf.TensorSpec([None], tf.float32)])
    def step(ids, types, mask, prior):
        with tf.GradientTape() as tape:
            scores = model(ids, types, mask, prior, training=True)
            logits = tf.reshape(scores, (-1, group_size))
            labels = tf.zeros(tf.shape(logits)[0], dtype=tf.int32)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        grads = tape.gradient(loss, encoder_vars + head_vars)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        encoder_opt.apply_gradients(zip(grads[: len(encoder_vars)], encoder_vars, strict=True))
        head_opt.apply_gradients(zip(grads[len(encoder_vars) :], head_vars, strict=True))
        return loss

    def finish() -> None:
        """With weight averaging, the model takes its weights' moving averages."""
        encoder_opt.finalize_variable_values(encoder_vars)
        head_opt.finalize_variable_values(head_vars)

    return step, finish


def fit(
    model: CrossEncoderModel, groups: list[Group], recipe: Recipe, progress: Progress
) -> list[float]:
    """Fine-tunes in place; returns the mean loss of each tenth of training (or each step when
    there are fewer than ten)."""
    rng = random.Random(recipe.seed + 1)
    if recipe.max_pairs:
        per_epoch_groups = max(1, recipe.max_pairs // recipe.group_size)
    else:
        per_epoch_groups = len(groups)
    steps_per_epoch = math.ceil(min(per_epoch_groups, len(groups)) / recipe.groups_per_step)
    total_steps = steps_per_epoch * recipe.epochs
    step, finish = _train_step_fn(model, recipe, total_steps)
    batcher = GroupBatcher(recipe)
    progress.start(total_steps, "training")
    losses: list[float] = []
    for _ in range(recipe.epochs):
        per_epoch = [
            group.drawn(recipe.group_size, rng)
            for group in rng.sample(groups, len(groups))[:per_epoch_groups]
        ]
        for start in range(0, len(per_epoch), recipe.groups_per_step):
            batch, prior = batcher.batch(per_epoch[start : start + recipe.groups_per_step])
            loss = float(step(batch.input_ids, batch.token_type_ids, batch.attention_mask, prior))
            losses.append(loss)
            progress.advance(loss=round(float(np.mean(losses[-20:])), 4))
    finish()
    chunks = np.array_split(np.asarray(losses), min(10, len(losses)))
    return [round(float(c.mean()), 4) for c in chunks if len(c)]


def logits_and_prior(
    reranker: CrossEncoderReranker, query: str, candidates: list[Candidate]
) -> tuple[np.ndarray, np.ndarray]:
    """The model's logit per candidate without its prior, and the prior it would add."""
    prior = reranker.prior(query, candidates)
    texts = [c.text for c in candidates]
    return reranker.score_pairs(query, texts, np.zeros_like(prior)), prior


def variant_scorer(reranker: CrossEncoderReranker):
    """Scores for the full model and, for the record, its cross-encoder logit alone."""

    def score(query: str, candidates: list[Candidate]) -> dict[str, list[float]]:
        if not candidates:
            return {"cross-encoder": [], "cross-encoder logit only": []}
        logits, prior = logits_and_prior(reranker, query, candidates)
        weight = float(reranker.model.prior_weight.numpy())
        return {
            "cross-encoder": (logits + weight * prior).tolist(),
            "cross-encoder logit only": logits.tolist(),
        }

    return score


def _words(text: str) -> int:
    """A query's length as search's gate counts it (the parsed query's words)."""
    from recommendations.search.query import parse_query

    return len(parse_query(text).text.split())


def train_reranker(
    *,
    films: list[Film],
    queries: list[LabelledQuery],
    candidates_for: CandidateSource,
    recipe: Recipe,
    output_root: Path,
    progress: Progress | None = None,
    version: str | None = None,
) -> TrainingResult:
    """Mine, train, decide the gate on validation queries, evaluate once on held-out queries,
    write the artifact directory, and choose its serving cost on the validation queries.

    The labelled queries split as every lab model's do (lab/split.py): the held-out quarter,
    and of the rest the shared validation carve (which the retriever and the learned fusion
    did not train on either) and the queries trained on."""
    import keras

    progress = progress or SilentProgress()
    started = time.monotonic()
    keras.utils.set_random_seed(recipe.seed)
    train_queries, validation = training_split(queries)
    _, held_out = split_by_query(queries, held_out_fraction=HELD_OUT_FRACTION)
    if recipe.max_validation_queries:
        validation = validation[: recipe.max_validation_queries]
        held_out = held_out[: recipe.max_validation_queries]
    if recipe.max_train_queries:
        train_queries = train_queries[: recipe.max_train_queries]
    progress.log(
        f"{len(films)} films; {len(queries)} labelled queries: {len(train_queries)} to train, "
        f"{len(validation)} for validation, {len(held_out)} held out; "
        f"{recipe.catalogue_query_count(train_queries)} catalogue queries asked"
    )
    groups = build_groups(train_queries, films, candidates_for, recipe, progress)
    mined_s = time.monotonic() - started
    sources = {s: sum(g.source == s for g in groups) for s in ("labelled", "catalogue")}
    sources["labelled without prior"] = (
        sum(g.source == "labelled" and not g.prior for g in groups) if recipe.use_dense_prior else 0
    )
    progress.log(f"{len(groups)} groups of {recipe.group_size} ({sources}) in {mined_s:.0f} s")
    if not groups:
        raise ValueError("no training groups: the catalogue or the queries are too small")

    model = new_model(
        num_layers=recipe.num_layers,
        max_query_tokens=recipe.max_query_tokens,
        max_doc_tokens=recipe.max_doc_tokens,
        use_dense_prior=recipe.use_dense_prior,
        prior=recipe.prior,
        prior_scale=recipe.prior_scale,
    )
    fit_started = time.monotonic()
    losses = fit(model, groups, recipe, progress)
    fit_s = time.monotonic() - fit_started
    progress.log(f"trained {len(losses)} loss points in {fit_s:.0f} s; loss {losses}")

    reranker = CrossEncoderReranker(model)
    eval_started = time.monotonic()

    def ranked(part: list[LabelledQuery], description: str) -> dict[str, list[int | None]]:
        progress.start(len(part), description)
        return variant_ranks(
            part,
            candidates_for,
            variant_scorer(reranker),
            depth=recipe.rerank_depth,
            pool=recipe.candidate_pool,
            on_query=progress.advance,
        )

    on_validation = ranked(validation, "validation queries (the gate)")
    gate = validation_gate(
        [_words(q.text) for q in validation],
        on_validation["baseline"],
        on_validation["cross-encoder"],
        min_queries=recipe.gate_min_queries,
    )
    progress.log(f"serves: {gate.describe()}; by length: {json.dumps(gate.to_dict())}")
    on_held_out = ranked(held_out, "evaluating on held-out queries")
    on_held_out["cross-encoder, gated"] = gated_ranks(
        gate,
        [_words(q.text) for q in held_out],
        on_held_out["baseline"],
        on_held_out["cross-encoder"],
    )
    eval_s = time.monotonic() - eval_started
    validation_results = summaries(on_validation)
    results = summaries(on_held_out)
    base, ce = results["baseline"]["ndcg@10"], results["cross-encoder"]["ndcg@10"]
    results["ndcg@10 ratio"] = round(ce / base, 3) if base else None
    gated = results["cross-encoder, gated"]["ndcg@10"]
    results["gated ndcg@10 ratio"] = round(gated / base, 3) if base else None
    progress.log(f"held-out: {json.dumps(results)}")

    version, directory = version_directory(output_root, version)
    hashed = data_hash(groups, recipe)
    metrics = {
        "validation": validation_results,
        "gate": gate.to_dict(),
        "held_out": results,
        "rerank_depth": recipe.rerank_depth,
        "candidate_pool": recipe.candidate_pool,
        "loss_curve": losses,
        "timings_s": {
            "mining": round(mined_s, 1),
            "training": round(fit_s, 1),
            "evaluation": round(eval_s, 1),
            "total": round(time.monotonic() - started, 1),
        },
        "groups": sources,
        "prior_weight": round(float(model.prior_weight.numpy()), 4),
    }
    save_artifact(
        model,
        directory,
        metrics=metrics,
        training={
            "data_hash": hashed,
            "recipe": asdict(recipe),
            "train_query_ids": sorted({q.id for q in train_queries}),
            "validation_query_ids": sorted({q.id for q in validation}),
            "held_out_query_ids": sorted({q.id for q in held_out}),
        },
    )
    write_gate(directory, gate)
    cost = serving_cost(directory, validation, candidates_for, recipe, progress)
    metrics["serving_cost"] = cost.to_dict()
    (directory / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    return TrainingResult(
        directory=directory,
        version=version,
        config={**model.config.to_dict(), "recipe": asdict(recipe)},
        metrics=metrics,
        data_hash=hashed,
    )


def serving_cost(
    directory: Path,
    validation: list[LabelledQuery],
    candidates_for: CandidateSource,
    recipe: Recipe,
    progress: Progress,
) -> ServingCost:
    """The version's serving cost chosen on its validation queries (lab/reranker_cost.py),
    written beside its weights (serving.json)."""
    started = time.monotonic()
    _, grid = recipe_grid(recipe)
    progress.start(len(validation) * scorings(grid), "validation queries (the serving cost)")
    cost = version_cost(
        directory,
        validation,
        candidates_for,
        recipe=recipe,
        runtime=recipe.cost_runtime,
        on_query=progress.advance,
    )
    write_cost(directory, cost)
    progress.log(f"serves at: {cost.describe()} ({time.monotonic() - started:.0f} s)")
    return cost
