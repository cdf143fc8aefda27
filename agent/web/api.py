"""The JSON API (issue #14's contract): sessions, answers, skips, transcripts, review queue, history, health.

Bad input → 4xx ``{"error": "<one Chinese line>"}``; an unexpected failure → 500 with a generic line (the
traceback goes to the server log, never into a response). Routes are plain ``def`` (run in the thread pool):
the graph, SQLite and Chroma are synchronous.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.web import service
from agent.web.security import TOKEN_COOKIE, token_matches
from agent.web.views import bank_rows, review_queue, search_notes

router = APIRouter(prefix="/api")


class SkipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question_id: str | None = Field(default=None, max_length=200)


class LoginRequest(BaseModel):
    token: str = Field(max_length=500)


def _store_ready(request: Request) -> None:
    request.app.state.store.require_ready()


@router.post("/sessions", status_code=201)
def create_session(body: service.StartRequest, request: Request) -> dict[str, Any]:
    _store_ready(request)
    step = service.start(body, request.app.state.settings.engine)
    return {"session_id": step.session_id, "prompt": step.prompt}


@router.post("/sessions/{session_id}/answer")
def answer(session_id: str, body: service.AnswerRequest) -> dict[str, Any]:
    return service.answer(session_id, body.answer, body.question_id).as_json()


@router.post("/sessions/{session_id}/skip")
def skip(session_id: str, body: SkipRequest | None = None) -> dict[str, Any]:
    return service.skip(session_id, body.question_id if body else None).as_json()


@router.post("/sessions/{session_id}/resume")
def resume(session_id: str) -> dict[str, Any]:
    """Not in the contract: continue a step a killed server left half done (the page calls it on reload)."""
    return service.resume(session_id).as_json()


@router.get("/sessions")
def sessions() -> list[dict[str, Any]]:
    from agent.interview.sessions import list_sessions

    return list_sessions()


@router.get("/sessions/{session_id}")
def session_transcript(session_id: str) -> dict[str, Any]:
    return service.transcript(session_id).model_dump(mode="json")


@router.get("/sessions/{session_id}/state")
def session_state(session_id: str) -> dict[str, Any]:
    """Not in the contract: question | grading | stalled | finished, for a reloaded page to poll."""
    v = service.view(session_id)
    return {"status": v.status, "prompt": service.prompt_of(v.payload), "pending_answer": v.pending_answer}


@router.get("/review/due")
def review_due() -> dict[str, Any]:
    return review_queue()


@router.get("/history")
def history() -> dict[str, Any]:
    from agent.practice.history import load_history

    return load_history()


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    store = request.app.state.store
    return {"status": "ok", "store": store.status, "store_message": store.message,
            "engine": request.app.state.settings.engine}


@router.get("/bank")
def bank(category: str | None = None) -> list[dict[str, Any]]:
    return bank_rows(category)


@router.get("/search")
def search(q: str, request: Request) -> dict[str, Any]:
    _store_ready(request)
    return search_notes(q)


@router.post("/login")
def login(body: LoginRequest, request: Request) -> JSONResponse:
    token = request.app.state.settings.token
    if not token:
        return JSONResponse({"ok": True})
    if not token_matches(body.token, token):
        return JSONResponse({"error": "访问令牌不对"}, status_code=401)
    response = JSONResponse({"ok": True})
    response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
    return response
