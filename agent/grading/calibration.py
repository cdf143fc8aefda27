"""The offline grader's per-point calibration: signal ranges, weights and the partial / covered thresholds.

Constants come from :mod:`agent.grading.calibration_params` (never fitted at run time on evaluation data); the
score model is separate (:mod:`agent.grading.scorer`).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.grading.calibration_params import PARAMS


@dataclass(frozen=True)
class Calibration:
    dense_same: tuple[float, float]  # e5 cosine (lo, hi) rescaled to 0..1 for same-language pairs
    dense_cross: tuple[float, float]  # ... for Chinese ↔ English pairs
    weights: tuple[float, float, float]  # dense, lexical, chars
    partial: float  # match ≥ partial → "partial"
    covered: float  # match ≥ covered → "covered"
    zh_thresholds: tuple[float, float] = (0.5, 0.7)  # (partial, covered) for Chinese points (hand-set on the ladder)
    use_range: tuple[float, float] = (0.3, 0.7)  # USE cosine (lo, hi) of a point and a sentence rescaled to 0..1

    @classmethod
    def from_params(cls, params: dict) -> Calibration:
        return cls(
            dense_same=tuple(params["dense_same"]),  # type: ignore[arg-type]
            dense_cross=tuple(params["dense_cross"]),  # type: ignore[arg-type]
            weights=tuple(params["weights"]),  # type: ignore[arg-type]
            partial=float(params["partial"]),
            covered=float(params["covered"]),
            zh_thresholds=tuple(params.get("zh_thresholds", (0.5, 0.7))),  # type: ignore[arg-type]
            use_range=tuple(params.get("use_range", (0.3, 0.7))),  # type: ignore[arg-type]
        )

    def thresholds(self, chinese: bool) -> tuple[float, float]:
        """(partial, covered) thresholds: fitted ones for English points, hand-set ones for Chinese points."""
        return self.zh_thresholds if chinese else (self.partial, self.covered)


CAL = Calibration.from_params(PARAMS)
