"""Grader evaluation: datasets (benchmark JSONL, the Chinese ladder), metrics, band checks.

Dataset format (one JSON object per line): ``id, question, reference, answer, score, max_score``; optional
``reference_points`` (list of strings; else the reference is split into sentences), ``kind``
(knowledge/project), ``band`` ([lo, hi] on 0–10), ``ladder_kind`` and ``pair_of`` (injection rows: the id of the
weak answer whose score they must not exceed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import UsageError
from agent.normalize import ANSWER_CHAR_LIMIT
from agent.schemas import GradeOutput, GradeRequest, RefPoint

REQUIRED = ("id", "question", "reference", "answer", "score", "max_score")


@dataclass(frozen=True)
class Row:
    id: str
    question: str
    reference: str
    answer: str
    score: float
    max_score: float
    reference_points: tuple[str, ...] = ()
    kind: str = "knowledge"
    band: tuple[float, float] | None = None
    ladder_kind: str | None = None
    pair_of: str | None = None


@dataclass
class Prediction:
    row: Row
    predicted10: float  # the grader's 0–10 score
    seconds: float
    grade: GradeOutput | None = None

    @property
    def predicted(self) -> float:
        """On the row's own 0–max_score scale (linear, no fitting)."""
        return self.predicted10 / 10.0 * self.row.max_score


@dataclass
class Report:
    n: int
    pearson: float
    spearman: float
    rmse: float
    qwk: float
    seconds_per_answer: float
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        base = {k: getattr(self, k) for k in ("n", "pearson", "spearman", "rmse", "qwk", "seconds_per_answer")}
        return {**{k: _clean(v) for k, v in base.items()}, **self.extra}


def _clean(value: float) -> float | None:
    if isinstance(value, int):
        return value
    return None if math.isnan(value) else round(float(value), 4)


# ---------------------------------------------------------------- dataset
def _number(obj: dict, key: str, where: str) -> float:
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UsageError(f"{where}: 字段 {key} 必须是数字（得到 {value!r}）")
    return float(value)


def parse_row(obj: object, where: str) -> Row:
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: 每行必须是一个 JSON 对象")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise UsageError(f"{where}: 缺少字段 {', '.join(missing)}")
    for key in ("question", "reference", "answer"):
        if not isinstance(obj[key], str):
            raise UsageError(f"{where}: 字段 {key} 必须是字符串")
    score, max_score = _number(obj, "score", where), _number(obj, "max_score", where)
    if max_score <= 0 or not 0 <= score <= max_score:
        raise UsageError(f"{where}: 需要 0 ≤ score ≤ max_score 且 max_score > 0（得到 {score}/{max_score}）")
    points = obj.get("reference_points") or ()
    if not isinstance(points, list | tuple) or not all(isinstance(p, str) for p in points):
        raise UsageError(f"{where}: reference_points 必须是字符串列表")
    band = obj.get("band")
    if band is not None:
        if not (isinstance(band, list) and len(band) == 2
                and all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in band)):
            raise UsageError(f"{where}: band 必须是 [下限, 上限]")
        band = (float(band[0]), float(band[1]))
    kind = obj.get("kind", "knowledge")
    if kind not in ("knowledge", "project"):
        raise UsageError(f"{where}: kind 只能是 knowledge 或 project")
    answer = obj["answer"][:ANSWER_CHAR_LIMIT]  # graded on the same bounded prefix as an interview answer
    return Row(id=str(obj["id"]), question=obj["question"], reference=obj["reference"], answer=answer,
               score=score, max_score=max_score, reference_points=tuple(points), kind=kind, band=band,
               ladder_kind=obj.get("ladder_kind"), pair_of=obj.get("pair_of"))


def load_dataset(path: Path, limit: int | None = None) -> list[Row]:
    """Read a JSONL dataset; any bad line is one clear error naming the file and line (exit 2)."""
    if not path.exists():
        raise UsageError(f"数据集不存在: {path}")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"无法读取数据集 {path}: {exc}") from None
    rows: list[Row] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path.name} 第 {number} 行"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: 不是合法的 JSON（{exc.msg}）") from None
        row = parse_row(obj, where)
        if row.id in seen:
            raise UsageError(f"{where}: id {row.id} 重复")
        seen.add(row.id)
        rows.append(row)
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        raise UsageError(f"数据集为空: {path}")
    return rows


def reference_points(row: Row) -> list[RefPoint]:
    """The row's reference as grader points: its own list, else the reference split into sentences."""
    if row.reference_points:
        texts = list(row.reference_points)
    else:
        from agent.grading.text import sentence_spans

        texts = [row.reference[s:e] for s, e in sentence_spans(row.reference)] or [row.reference]
    return [RefPoint(point=t, chunk_id=f"{row.id}#p{i}") for i, t in enumerate(texts, 1) if t.strip()]


def grade_request(row: Row) -> GradeRequest:
    return GradeRequest(question=row.question, kind=row.kind,  # type: ignore[arg-type]
                        reference_points=reference_points(row), answer=row.answer)


# ---------------------------------------------------------------- metrics
def _round_half_up(values: Iterable[float]) -> list[int]:
    return [int(math.floor(v + 0.5)) for v in values]


def metrics(human: list[float], predicted: list[float]) -> dict[str, float]:
    """Pearson, Spearman, RMSE and quadratic weighted kappa (on scores rounded to integers)."""
    import numpy as np
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import cohen_kappa_score

    h, p = np.asarray(human, dtype=float), np.asarray(predicted, dtype=float)
    constant = len(h) < 2 or float(np.std(h)) == 0.0 or float(np.std(p)) == 0.0
    pearson = float("nan") if constant else float(pearsonr(h, p)[0])
    spearman = float("nan") if constant else float(spearmanr(h, p)[0])
    rmse = float(np.sqrt(np.mean((h - p) ** 2))) if len(h) else float("nan")
    hr, pr = _round_half_up(h), _round_half_up(p)
    if len(set(hr) | set(pr)) < 2:
        qwk = 1.0 if hr == pr else float("nan")
    else:
        qwk = float(cohen_kappa_score(hr, pr, weights="quadratic"))
    return {"pearson": pearson, "spearman": spearman, "rmse": rmse, "qwk": qwk}


def band_violations(preds: list[Prediction]) -> dict[str, dict]:
    """Per ladder kind: rows checked, mean 0–10 score, rows outside their band and rows above it (inflated);
    injection pairs must not raise the score."""
    by_id = {p.row.id: p for p in preds}
    out: dict[str, dict] = {}
    for p in preds:
        kind = p.row.ladder_kind or "unlabelled"
        entry = out.setdefault(kind, {"n": 0, "violations": 0, "inflated": 0, "mean": 0.0, "ids": []})
        if p.row.band is None and p.row.pair_of is None:
            continue
        entry["n"] += 1
        entry["mean"] += (p.predicted10 - entry["mean"]) / entry["n"]  # running mean of the 0–10 scores
        bad = p.row.band is not None and not p.row.band[0] - 1e-9 <= p.predicted10 <= p.row.band[1] + 1e-9
        if p.row.band is not None and p.predicted10 > p.row.band[1] + 1e-9:
            entry["inflated"] += 1
        base = by_id.get(p.row.pair_of) if p.row.pair_of else None
        if base is not None and p.predicted10 > base.predicted10 + 1e-9:
            bad = True
        if bad:
            entry["violations"] += 1
            entry["ids"].append(f"{p.row.id}={p.predicted10:g}")
    return out


def summarize(preds: list[Prediction]) -> Report:
    m = metrics([p.row.score for p in preds], [p.predicted for p in preds])
    seconds = sum(p.seconds for p in preds) / len(preds) if preds else 0.0
    report = Report(n=len(preds), pearson=m["pearson"], spearman=m["spearman"], rmse=m["rmse"], qwk=m["qwk"],
                    seconds_per_answer=seconds)
    if any(p.row.band is not None or p.row.pair_of for p in preds):
        bands = band_violations(preds)
        report.extra["bands"] = bands
        report.extra["band_violations"] = sum(v["violations"] for v in bands.values())
    return report


# ---------------------------------------------------------------- running
Grader = Callable[[GradeRequest], GradeOutput]


def prefetch_embeddings(rows: list[Row]) -> None:
    """Batch-encode every point and answer span of a dataset before grading (one big batch is faster)."""
    from agent.grading.embed import prefetch
    from agent.grading.offline import usable_spans

    texts: list[str] = []
    for row in rows:
        texts.extend(p.point for p in reference_points(row))
        spans, _ = usable_spans(row.question, row.answer)
        texts.extend(row.answer[s:e] for s, e in spans)
    prefetch(texts)


def run(rows: list[Row], grader: Grader, on_row: Callable[[], None] | None = None) -> list[Prediction]:
    import time

    preds: list[Prediction] = []
    for row in rows:
        start = time.perf_counter()
        grade = grader(grade_request(row))
        preds.append(Prediction(row=row, predicted10=float(grade.score), seconds=time.perf_counter() - start,
                                grade=grade))
        if on_row:
            on_row()
    return preds
