"""``mockint bench`` section *web*: the web app (``mockint web``) through an in-process HTTP client on the built
store — page loads (start, question, report, history, review, bank) and the offline grade after a submit
(``POST /api/sessions/{id}/answer``: the whole request, graph step, checkpoint and transcript included)."""

from __future__ import annotations

import time
from typing import Any

from agent.evals.bench.measure import percentile

PAGES = ("/", "/s/{sid}", "/history", "/review", "/bank")


def bench_web(n_answers: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from agent.knowledge.bank import load_bank
    from agent.web.app import WebSettings, create_app

    client = TestClient(create_app(WebSettings(build_store=False)), base_url="http://127.0.0.1:8765")
    points = {q.id: q.reference_points for q in load_bank()}
    loads: list[float] = []
    grades: list[float] = []
    sid = client.post("/api/sessions", json={"n": n_answers}).json()["session_id"]
    client.get(f"/s/{sid}")  # warm-up: templates compiled, retriever and grader loaded by the first answer
    prompt: dict[str, Any] | None = None
    for i in range(n_answers * 3):
        t0 = time.perf_counter()
        qid = prompt["question_id"] if prompt else None
        answer = "；".join((points.get(qid or "") or ["不太清楚"])[:2]) if i % 2 else "不太清楚，只知道一点。"
        r = client.post(f"/api/sessions/{sid}/answer", json={"answer": answer})
        if i:  # the first answer loads the embedder and the store into this process
            grades.append(time.perf_counter() - t0)
        body = r.json()
        for path in PAGES:
            t0 = time.perf_counter()
            client.get(path.format(sid=sid))
            loads.append(time.perf_counter() - t0)
        if body.get("done"):
            break
        prompt = body.get("prompt")
    t0 = time.perf_counter()
    client.get(f"/s/{sid}/report")
    loads.append(time.perf_counter() - t0)

    def ms(values: list[float], q: float) -> float:
        return round(percentile(values, q) * 1000, 1) if values else 0.0

    return {"page_p50_ms": ms(loads, 0.5), "page_p95_ms": ms(loads, 0.95), "pages": len(loads),
            "grade_p50_ms": ms(grades, 0.5), "grade_p95_ms": ms(grades, 0.95), "answers": len(grades),
            "client": "in-process HTTP (TestClient), warm process"}
