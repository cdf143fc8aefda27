"""Server-rendered pages (Jinja2, autoescape on): start, session (question / grading / grade panel /
follow-up), report with downloads, history, review queue, question bank with search, note sections, login.
The small amount of script (``static/app.js``) talks to the JSON API; no inline script anywhere."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from agent.knowledge.taxonomy import display_name
from agent.report.data import mode_label, summarize
from agent.schemas import Turn
from agent.web import service
from agent.web.charts import line_chart
from agent.web.views import (
    bank_rows,
    categories,
    note_section,
    review_queue,
    search_notes,
    stars,
    turn_panel,
)

router = APIRouter()
DOWNLOADS = {"md": ("text/markdown; charset=utf-8", "md"), "json": ("application/json", "json"),
             "html": ("text/html; charset=utf-8", "html")}


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("agent.web", "templates"), autoescape=select_autoescape(default=True))
    env.globals.update(display_name=display_name, stars=stars, mode_label=mode_label)
    return env


def render(name: str, status: int = 200, **data: Any) -> HTMLResponse:
    return HTMLResponse(_env().get_template(name).render(**data), status_code=status)


def error_page(message: str, status: int) -> HTMLResponse:
    return render("error.html", status=status, message=message, title="出错了")


def _store(request: Request) -> Any:
    return request.app.state.store


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, paused: str = "") -> HTMLResponse:
    from agent.interview.sessions import list_sessions

    return render("start.html", title="开始练习", store=_store(request), categories=categories(),
                  engine=request.app.state.settings.engine, sessions=list_sessions()[:10], paused=paused)


@router.get("/s/{session_id}", response_model=None)
def session_page(session_id: str, request: Request) -> Response:
    v = service.view(session_id)
    if v.status == "finished":
        return RedirectResponse(f"/s/{session_id}/report", status_code=303)
    turns = [Turn.model_validate(t) for t in v.values.get("turns", [])]
    last = turn_panel(turns[-1]) if turns else None
    return render("session.html", title="答题", view=v, payload=v.payload, last=last,
                  mode=v.values.get("settings", {}).get("mode", "interview"), store=_store(request))


@router.get("/s/{session_id}/report", response_class=HTMLResponse)
def report_page(session_id: str) -> HTMLResponse:
    from markupsafe import Markup

    from agent.report.data import group_turns
    from agent.report.html import bar_chart

    t = service.transcript(session_id)
    summary = summarize(t)
    groups = [{"main": turn_panel(g.main), "followups": [turn_panel(f) for f in g.followups], "score": g.score}
              for g in group_turns(t)]
    return render("report.html", title="会话报告", t=t, summary=summary, groups=groups,
                  chart=Markup(bar_chart(summary.by_category)), finished=bool(t.finished_at))


@router.get("/s/{session_id}/report.{fmt}", response_model=None)
def report_download(session_id: str, fmt: str) -> Response:
    from agent.report import render as render_report

    if fmt not in DOWNLOADS:
        return error_page(f"未知的报告格式: {fmt}（可选 md / json / html）", 404)
    media, ext = DOWNLOADS[fmt]
    body = render_report(service.transcript(session_id), fmt)
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="mockint-{session_id}.{ext}"'})


@router.get("/history", response_class=HTMLResponse)
def history_page() -> HTMLResponse:
    from agent.practice.history import load_history

    data = load_history()
    overall = {"总分": [s["overall"] for s in data["sessions"]]} if data["sessions"] else {}
    per_cat = {display_name(c["category"]): c["series"] for c in data["categories"]}
    return render("history.html", title="历史", data=data, overall_chart=line_chart(overall, "各次会话总分"),
                  category_chart=line_chart(per_cat, "各分类得分走势"))


@router.get("/review", response_class=HTMLResponse)
def review_page(request: Request) -> HTMLResponse:
    return render("review.html", title="复习队列", queue=review_queue(), engine=request.app.state.settings.engine)


@router.get("/bank", response_class=HTMLResponse)
def bank_page(request: Request, category: str = "", q: str = "") -> HTMLResponse:
    results = None
    if q.strip():
        _store(request).require_ready()
        results = search_notes(q)
    rows = bank_rows(category or None) if not results else []
    return render("bank.html", title="题库", rows=rows, categories=categories(), category=category, q=q,
                  results=results)


@router.get("/note", response_class=HTMLResponse)
def note_page(request: Request, file: str, a: int = 0, b: int = 0) -> HTMLResponse:
    _store(request).require_ready()
    chunks = note_section(file, a, b)
    if not chunks:
        return error_page(f"知识库里没有笔记 {file}", 404)
    return render("note.html", title=file, file=file, chunks=chunks)


@router.get("/login", response_class=HTMLResponse)
def login_page() -> HTMLResponse:
    return render("login.html", title="登录")
