"""Data for the pages and the read-only API: grade panels, the review queue, the bank, search, note sections.

Text is returned raw; the Jinja2 templates escape it. The only HTML built here is the highlighted answer, made
by :func:`agent.report.html.highlight` (escapes every segment), and the SVG charts (:mod:`agent.web.charts`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from agent.knowledge.taxonomy import display_name
from agent.report.data import STATUS_LABEL, point_location, point_source, turn_quotes
from agent.schemas import Question, Source, Turn

SEARCH_K = 8


def note_link(file: str, a: int, b: int) -> str:
    return "/note?" + urlencode({"file": file, "a": a, "b": b}) + "#hit"


def source_links(sources: list[Source]) -> list[dict[str, str]]:
    return [{"label": f"{s.file} · {s.section}（第 {s.lines[0]}–{s.lines[1]} 行）",
             "href": note_link(s.file, *s.lines)} for s in sources]


def turn_panel(turn: Turn) -> dict[str, Any]:
    """Everything the grade panel shows for one finished turn."""
    from agent.report.html import highlight

    grade = turn.grade
    points = []
    for p in grade.points if grade else []:
        where = point_location(p.chunk_id, turn.sources)
        points.append({"point": p.point, "status": p.status, "label": STATUS_LABEL[p.status], "quote": p.quote,
                       "source": point_source(p.chunk_id, turn.sources),
                       "href": note_link(*where) if where else ""})
    engine = grade.engine if grade else ""
    markers = []
    if not turn.reflection.verified:
        markers.append(("unverified", "未验证：多次复核仍未通过校验"))
    if engine == "offline-fallback":
        markers.append(("fallback", "离线兜底：大模型评分失败，改用离线评分"))
    if grade and grade.no_reference:
        markers.append(("noref", "未检索到参考资料，仅按评分标准评分"))
    if turn.skipped:
        markers.append(("skipped", "已跳过"))
    return {"turn": turn, "grade": grade, "points": points, "markers": markers,
            "answer_html": Markup(highlight(turn.answer, turn_quotes(turn))),
            "sources": source_links(turn.sources)}


def stars(n: int) -> str:
    n = max(1, min(3, int(n)))
    return "★" * n + "☆" * (3 - n)


# ---------------------------------------------------------------- review, bank, search, notes
def review_queue() -> dict[str, Any]:
    """Question cards: ``due`` (now) and ``upcoming``, each with the last score and last FSRS rating."""
    from agent.practice import review

    due_now = set(review.due_question_ids())
    rows = []
    for c in review.list_cards():
        history = c["rating_history"]
        rows.append({"question_id": c["question_id"], "question": c["question"], "category": c["category"],
                     "due": c["due"], "last_score": c["last_score"],
                     "last_rating": history[-1]["rating"] if history else None,
                     "reviews": len(history), "due_now": c["question_id"] in due_now})
    return {"due": [r for r in rows if r["due_now"]], "upcoming": [r for r in rows if not r["due_now"]]}


def _bank() -> list[Question]:
    from agent.knowledge.bank import load_bank_or_fail

    return load_bank_or_fail()


def bank_rows(category: str | None = None) -> list[dict[str, Any]]:
    return [{"question_id": q.id, "question": q.text, "category": q.category, "category_name": display_name(q.category),
             "difficulty": q.difficulty, "kind": q.kind, "points": len(q.reference_points),
             "sources": source_links(q.sources)}
            for q in _bank() if category in (None, "", q.category)]


def categories() -> list[tuple[str, str, int]]:
    """(slug, display name, question count) of the bank's categories."""
    counts: dict[str, int] = {}
    for q in _bank():
        counts[q.category] = counts.get(q.category, 0) + 1
    return sorted(((c, display_name(c), n) for c, n in counts.items()), key=lambda t: t[1])


def _questions_at(bank: list[Question], file: str, a: int, b: int) -> list[dict[str, str]]:
    return [{"question_id": q.id, "question": q.text} for q in bank
            if any(s.file == file and s.lines[0] <= b and a <= s.lines[1] for s in q.sources)]


def search_notes(query: str) -> dict[str, Any]:
    """Note chunks from the hybrid retriever (dense + BM25, calibrated score, gate) and the bank questions
    whose notes those chunks are in; plus the dense question search."""
    from agent.knowledge.retrieval import get_retriever

    query = query.strip()[:200]
    if not query:
        return {"query": "", "chunks": [], "questions": []}
    retriever = get_retriever()
    result = retriever.search(query, SEARCH_K)
    bank = _bank()
    chunks = []
    for hit in result.candidates:
        where = point_location(hit.chunk_id, [])
        file, a, b = where if where else (hit.source, 0, 0)
        chunks.append({"chunk_id": hit.chunk_id, "source": hit.source, "section": hit.section, "text": hit.text,
                       "score": hit.score, "relevant": hit.score >= result.threshold,
                       "href": note_link(file, a, b), "questions": _questions_at(bank, file, a, b)})
    questions = [{"question_id": h.question_id, "question": h.text, "category": h.category,
                  "difficulty": h.difficulty, "score": h.score}
                 for h in retriever.search_questions(query, SEARCH_K)]
    return {"query": query, "chunks": chunks, "questions": questions}


def note_section(file: str, a: int, b: int) -> list[dict[str, Any]]:
    """A note's chunks from the store in line order; ``hit`` marks those overlapping lines a–b. The file name
    is only a filter on the store's metadata, never a path on disk."""
    from agent.knowledge.ingest import ensure_store

    store = ensure_store(show_progress=False)
    got = store.chunks.get(where={"source": file}, include=["documents", "metadatas"])
    rows = []
    for cid, doc, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False):
        meta = meta or {}
        start, end = int(meta.get("line_start", 0)), int(meta.get("line_end", 0))
        rows.append({"chunk_id": cid, "section": str(meta.get("section", "")), "text": doc,
                     "lines": (start, end), "hit": bool(a or b) and start <= b and a <= end})
    rows.sort(key=lambda r: r["lines"])
    first_hit = next((r for r in rows if r["hit"]), None)
    for r in rows:
        r["anchor"] = r is first_hit
    return rows
