"""Which queries a cross-encoder version serves: the query-length bands where, on the
validation queries (lab/split.training_split, which no stage before it trained on), it ranked
the right film better than the stage before it (nDCG@10 lift > 1, on enough queries to say
so). For any other query it steps aside and search keeps the fused order.

The lab decides the gate when it trains a version (lab/reranker_training.validation_gate) and
writes it beside the weights (gate.json) and into the version's metrics (the admin shows it);
serving reads it with the version. A version trained before gates existed has no gate file
and serves every query, as it did. Serving only reads a gate: it never looks at figures."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommendations.models import TrainedModel

GATE_FILE = "gate.json"
# Word counts, [low, high): tomt-dev's stories have 13+ words (so no labelled query speaks for
# the first band: a short descriptive query, a title, a one-line synopsis), the learned
# fusion's own gate is 40, and past 90 a story is long.
BANDS: tuple[tuple[int, int | None], ...] = ((1, 13), (13, 40), (40, 90), (90, None))


@dataclass(frozen=True)
class Band:
    low: int
    high: int | None  # exclusive; None: no upper bound
    queries: int  # validation queries of this length
    before: float  # their nDCG@10 in the stage before the cross-encoder
    after: float  # ... and reranked by it
    serves: bool

    def holds(self, words: int) -> bool:
        return words >= self.low and (self.high is None or words < self.high)

    @property
    def label(self) -> str:
        return f"{self.low}+ words" if self.high is None else f"{self.low}-{self.high - 1} words"

    @property
    def lift(self) -> float | None:
        return self.after / self.before if self.before else None


@dataclass(frozen=True)
class RerankGate:
    bands: tuple[Band, ...] = ()
    recorded: bool = True  # False: the version has no gate (trained before gates): serves all

    def serves(self, words: int) -> bool:
        if not self.recorded:
            return True
        return any(band.serves and band.holds(words) for band in self.bands)

    @property
    def serves_any(self) -> bool:
        return not self.recorded or any(band.serves for band in self.bands)

    def describe(self) -> str:
        """One line for a curator: which queries it reorders."""
        if not self.recorded:
            return "every query (no validation gate recorded)"
        served = [band.label for band in self.bands if band.serves]
        if not served:
            return "no query: it did not beat the stage before it on validation, so it steps aside"
        return ", ".join(served)

    def to_dict(self) -> dict:
        return {"bands": [asdict(band) for band in self.bands]}

    @classmethod
    def from_dict(cls, raw: dict) -> RerankGate:
        return cls(bands=tuple(Band(**band) for band in raw.get("bands", [])))


UNGATED = RerankGate(recorded=False)


def gate_of(model: TrainedModel) -> RerankGate:
    """A reranker version's gate as its row's metrics record it (no file read)."""
    raw = model.metrics.get("gate")
    return RerankGate.from_dict(raw) if raw is not None else UNGATED


def write_gate(directory: Path, gate: RerankGate) -> None:
    (directory / GATE_FILE).write_text(json.dumps(gate.to_dict(), indent=2))


def load_gate(directory: Path) -> RerankGate:
    path = directory / GATE_FILE
    return RerankGate.from_dict(json.loads(path.read_text())) if path.is_file() else UNGATED
