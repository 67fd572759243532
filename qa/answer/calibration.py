"""The decision to answer or refuse: one score, a logistic regression over features of the evidence and the
answer, trained on the `tune` splits and the dev set by `make calibrate` (scripts/calibrate.py); its
weights are the small committed file `qa/data/calibration.json`.

Example:
    >>> model = Calibration(["coverage"], [4.0], -2.0, 0.5)
    >>> round(model.probability({"coverage": 0.9}), 3), model.answers({"coverage": 0.2})
    (0.832, False)
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "data" / "calibration.json"

# The features, in order: what the score reads. Each is computed in qa/answer/orchestrator.py from the evidence.
FEATURES = (
    "relevance",  # the supporting sentence's relevance to the question (cosine + term share)
    "coverage",  # share of the question's IDF weight in the supporting sentence and the text before it
    "sentence_coverage",  # the same share in the sentence alone
    "novelty",  # share of the answer's terms the question does not hold
    "answer_words",  # log(1 + words of the answer)
    "passage_rank",  # rank of the supporting sentence's passage (0 = best)
    "relevance_gap",  # the best candidate's relevance minus the supporting sentence's
    "missing_term",  # the rarest question term absent around the supporting sentence (IDF / largest IDF)
    "anchor_missing",  # 1 when none of the question's rare names occurs in or next to the supporting sentence
    "kind_ok",  # 1 when the answer holds the kind of thing asked (a figure, a date, a name)
    "extractive",  # 1 when the answer is a whole sentence (no shorter supported wording was found)
)
# Recorded with every answer, not scored: how sure the model was, the mean and the least log probability
# of the tokens it chose (llama.cpp tells; qa/models/generation.py `reply_scores`). Measured by
# `scripts/calibrate.py --cross-validate`: they raise the score's AUC, but not the answer-or-refuse
# decisions it is judged by (see the README), so the score does not read them.
REPLY_FEATURES = ("reply_logprob", "reply_min_logprob")


@dataclass(frozen=True)
class Calibration:
    """A logistic regression: P(the answer is right) = sigmoid(bias + sum of weight * feature)."""

    features: list[str]
    weights: list[float]
    bias: float
    threshold: float  # answer when the probability reaches it
    means: list[float] | None = None  # standardization learnt with the weights
    scales: list[float] | None = None

    def probability(self, values: Mapping[str, float]) -> float:
        """P(correct) for one answer's feature values (a missing feature counts as its mean)."""
        z = self.bias
        for i, (name, w) in enumerate(zip(self.features, self.weights)):
            mean = self.means[i] if self.means else 0.0
            scale = self.scales[i] if self.scales else 1.0
            z += w * (float(values.get(name, mean)) - mean) / scale
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def answers(self, values: Mapping[str, float]) -> bool:
        """True when the answer is likely enough to give."""
        return self.probability(values) >= self.threshold

    @classmethod
    def load(cls, path: str | Path = DEFAULT_FILE) -> "Calibration":
        """The calibration stored in `path` (JSON written by scripts/calibrate.py)."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(list(data["features"]), [float(w) for w in data["weights"]], float(data["bias"]),
                   float(data["threshold"]), data.get("means"), data.get("scales"))

    def to_json(self, **about) -> str:
        """The JSON form `load` reads, with `about` (how it was trained) kept beside the weights."""
        return json.dumps({"features": self.features, "weights": [round(w, 6) for w in self.weights],
                           "bias": round(self.bias, 6), "threshold": self.threshold, "means": self.means,
                           "scales": self.scales, **about}, indent=1) + "\n"


def fit_logistic(rows: list[list[float]], labels: list[int], l2: float = 1.0, steps: int = 500,
                 sample_weights: list[float] | None = None) -> tuple[list[float], float, list[float], list[float]]:
    """Weights, bias, means and scales of an L2-regularized logistic regression (Newton's method on
    standardized features); `sample_weights` count some rows more than others.

    >>> w, b, m, s = fit_logistic([[0.0], [0.2], [0.8], [1.0]], [0, 0, 1, 1])
    >>> w[0] > 0
    True
    """
    import numpy as np

    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    w = np.ones(len(y)) if sample_weights is None else np.asarray(sample_weights, dtype=float)
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - means) / scales])
    beta = np.zeros(z.shape[1])
    penalty = np.eye(z.shape[1]) * l2
    penalty[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        gradient = z.T @ (w * (p - y)) + penalty @ beta
        hessian = z.T @ (z * (w * p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return [float(v) for v in beta[1:]], float(beta[0]), [float(v) for v in means], [float(v) for v in scales]
