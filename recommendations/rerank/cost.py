"""What a cross-encoder version costs to serve: how many of the fused candidates it reorders
(its rerank depth) and how many tokens of the query and of each film's text it reads. The
cost of a search's rerank stage is about the number of tokens it scores, depth x (query +
film tokens), so each of the three cuts it.

The lab chooses the setting when it trains a version (lab/reranker_cost.py: the cheapest on
the validation queries whose nDCG@10 is within a stated margin of the full setting's) and
writes it beside the weights (serving.json) and into the version's metrics ("serving_cost";
the model list shows it); serving reads it with the version. A version trained before has no
such file and serves as it did: the pipeline's rerank depth and the token lengths it trained
with. settings.RECSYS_RERANKER_COST "full" serves every version at its full setting (to
measure what the choice saves). Serving only reads a setting: it never looks at figures."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommendations.models import TrainedModel

COST_FILE = "serving.json"


@dataclass(frozen=True, order=True)
class Setting:
    depth: int  # fused candidates reordered
    doc_tokens: int  # film tokens read (the film text is cut after these)
    query_tokens: int  # query tokens read

    @property
    def label(self) -> str:
        return f"top {self.depth}, {self.doc_tokens} film / {self.query_tokens} query tokens"


@dataclass(frozen=True)
class ScoredSetting:
    """A setting as the validation queries measured it."""

    setting: Setting
    ndcg: float  # nDCG@10 of the reranked order (every validation query, no gate)
    tokens: float  # tokens scored per query, padded as served (the cost)


@dataclass(frozen=True)
class ServingCost:
    chosen: Setting | None = None  # None: none recorded (a version trained before): as trained
    full: Setting | None = None  # what it trained and was validated with
    margin: float = 0.0  # the nDCG@10 the choice may give up against the full setting
    scored: tuple[ScoredSetting, ...] = ()

    @property
    def recorded(self) -> bool:
        return self.chosen is not None

    def describe(self) -> str:
        """One line for a curator: what a served search costs."""
        if self.chosen is None:
            return "as trained (no serving cost chosen)"
        by_setting = {s.setting: s for s in self.scored}
        chosen, full = by_setting.get(self.chosen), by_setting.get(self.full)
        if chosen is None or full is None or not full.tokens:
            return self.chosen.label
        return (
            f"{self.chosen.label} ({chosen.tokens / full.tokens:.0%} of the full setting's "
            f"tokens; validation nDCG@10 {chosen.ndcg:.3f} vs {full.ndcg:.3f})"
        )

    def to_dict(self) -> dict:
        return {
            "chosen": asdict(self.chosen) if self.chosen else None,
            "full": asdict(self.full) if self.full else None,
            "margin": self.margin,
            "scored": [
                {**asdict(s.setting), "ndcg@10": s.ndcg, "tokens": s.tokens} for s in self.scored
            ],
        }

    @classmethod
    def from_dict(cls, raw: dict) -> ServingCost:
        def setting(value: dict | None) -> Setting | None:
            return Setting(**value) if value else None

        scored = tuple(
            ScoredSetting(
                Setting(row["depth"], row["doc_tokens"], row["query_tokens"]),
                row["ndcg@10"],
                row["tokens"],
            )
            for row in raw.get("scored", [])
        )
        return cls(setting(raw.get("chosen")), setting(raw.get("full")), raw["margin"], scored)


AS_TRAINED = ServingCost()


def cost_of(model: TrainedModel) -> ServingCost:
    """A reranker version's serving cost as its row's metrics record it (no file read)."""
    raw = model.metrics.get("serving_cost")
    return ServingCost.from_dict(raw) if raw else AS_TRAINED


def write_cost(directory: Path, cost: ServingCost) -> None:
    (directory / COST_FILE).write_text(json.dumps(cost.to_dict(), indent=2))


def load_cost(directory: Path) -> ServingCost:
    path = directory / COST_FILE
    return ServingCost.from_dict(json.loads(path.read_text())) if path.is_file() else AS_TRAINED
