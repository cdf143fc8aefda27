"""The offline grader's calibration: thresholds and the monotone coverage → score curve.

Constants come from :mod:`agent.grading.calibration_params` (fitted by an earlier ``evals/fit_offline.py`` on a
development split only; never fitted at run time on evaluation data).
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
    curve: tuple[float, float]  # mean match at which the score is 0 and 10 (linear, clipped)
    zh_thresholds: tuple[float, float] = (0.5, 0.7)  # (partial, covered) for Chinese points (hand-set on the ladder)

    @classmethod
    def from_params(cls, params: dict) -> Calibration:
        return cls(
            dense_same=tuple(params["dense_same"]),  # type: ignore[arg-type]
            dense_cross=tuple(params["dense_cross"]),  # type: ignore[arg-type]
            weights=tuple(params["weights"]),  # type: ignore[arg-type]
            partial=float(params["partial"]),
            covered=float(params["covered"]),
            curve=tuple(params["curve"]),  # type: ignore[arg-type]
            zh_thresholds=tuple(params.get("zh_thresholds", (0.5, 0.7))),  # type: ignore[arg-type]
        )

    def thresholds(self, chinese: bool) -> tuple[float, float]:
        """(partial, covered) thresholds: fitted ones for English points, hand-set ones for Chinese points."""
        return self.zh_thresholds if chinese else (self.partial, self.covered)

    def raw_score(self, mean_match: float) -> float:
        """Monotone map of the mean point match to 0..10 (before the rubric's bounds are applied)."""
        lo, hi = self.curve
        return 10.0 * min(1.0, max(0.0, (mean_match - lo) / (hi - lo)))


CAL = Calibration.from_params(PARAMS)
