"""The web app in a real browser: Playwright driving Debian's chromium against ONE ``mockint web`` server
(a subprocess on 127.0.0.1, offline engine, a copy of the fixture store). Completes an interview with a
follow-up, a drill and a review, reloads mid-session (also while a grade is in flight), renders injection
payloads without running them, and checks that no request leaves 127.0.0.1.

``.ci/run`` installs chromium + fonts-noto-cjk when missing; elsewhere the module is skipped without them.
Set ``MOCKINT_WEB_SHOTS=DIR`` to save a screenshot of every page there.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import stop_process

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if not CHROMIUM:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: .ci/run should have installed it (apt-get install chromium)")
    pytest.skip("chromium not installed (apt-get install -y chromium fonts-noto-cjk)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

XSS = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 1\">"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(built_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("web_home")
    shutil.copytree(built_home, home, dirs_exist_ok=True)
    _seed_due_review(home)
    port = _free_port()
    env = {**os.environ, "MOCKINT_HOME": str(home), "MOCKINT_CONFIG": str(home / "config.toml"),
           "MOCKINT_FSRS_FUZZ": "0", "NO_PROXY": "*"}
    env.pop("MOCKINT_WEB_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-c", "from agent.cli.app import main; main()", "web", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"mockint web exited: {proc.stdout.read() if proc.stdout else ''}") from None
            time.sleep(0.2)
    try:
        yield {"base": base, "home": home}
    finally:
        stop_process(proc)


def _seed_due_review(home: Path) -> None:
    """One question card due since yesterday (graded badly two days ago)."""
    from agent.config import use_home
    from agent.knowledge.bank import load_bank
    from agent.practice import review
    from agent.schemas import Grade

    with use_home(home):
        question = next(q for q in load_bank() if q.category == "sft")
        review.record_grade("seed", "1", question, Grade(score=1.0), datetime.now(UTC) - timedelta(days=2))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    requests: list[str] = []
    dialogs: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    pg = context.new_page()
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    outside = [u for u in requests if not u.startswith(server["base"] + "/")]
    assert not outside, outside  # nothing but this server: no CDN, no fonts, no analytics
    assert not dialogs


def shot(pg: Any, name: str) -> None:
    folder = os.environ.get("MOCKINT_WEB_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _answer(pg: Any, text: str, *, ctrl_enter: bool = True) -> str:
    """Type an answer, submit it (Ctrl+Enter or the button) and wait for the page the app moves to: returns
    ``main`` / ``followup`` (the next question) or ``report``."""
    box = pg.locator("#answer")
    box.fill(text)
    with pg.expect_navigation():
        box.press("Control+Enter") if ctrl_enter else pg.click("#submit-btn")
    return _kind(pg)


def _kind(pg: Any) -> str:
    pg.wait_for_load_state()
    return str(pg.evaluate("document.body.dataset.page === 'report' ? 'report' : document.body.dataset.kind"))


def _bank_points(home: Path, question_id: str) -> list[str]:
    from agent.config import use_home
    from agent.knowledge.bank import load_bank

    with use_home(home):
        return next(q.reference_points for q in load_bank() if q.id == question_id)


def _start(pg: Any, base: str, mode: str, **fields: str) -> None:
    pg.goto(base + "/")
    pg.check(f"input[name=mode][value={mode}]")
    for name, value in fields.items():
        if name == "categories":
            pg.check(f"input[name=categories][value={value}]")
        else:
            pg.fill(f"[name={name}]", value)
    pg.click("#start-btn")
    pg.wait_for_selector("#answer")


def test_interview_with_follow_up_reload_and_in_flight_grade(page: Any, server: dict[str, Any]) -> None:
    base = server["base"]
    page.goto(base + "/")
    shot(page, "01-start")
    for _ in range(20):  # a question with reference points in the bank, so the test knows a partial answer
        _start(page, base, "interview", n="1", categories="basics")
        points = _bank_points(server["home"], page.evaluate("document.body.dataset.questionId"))
        if len(points) >= 2:
            break
        page.click("#pause-btn")
    assert page.locator(".badge").inner_text().startswith("第 1/1 题")
    shot(page, "02-question")
    partial = points[0]
    kind = _answer(page, partial + "\n" + XSS)  # one point of several: a follow-up on the rest
    assert kind == "followup", "a partial answer gets a follow-up"
    panel = page.locator(".grade").first
    assert panel.locator(".score").count() == 1 and panel.locator("table.points tr").count() > 1
    grade = page.evaluate(f"fetch('/api/sessions/{page.evaluate('document.body.dataset.session')}').then(r => r.json())")
    quoted = [p["quote"] for p in grade["turns"][0]["grade"]["points"] if p["quote"]]
    assert quoted, (partial, grade["turns"][0])
    assert page.locator(".answer mark").count() >= 1  # quoted words highlighted in the answer
    shot(page, "03-grade-and-followup")
    assert page.evaluate("window.__pwned") is None  # the payload is shown as text, never run
    assert XSS[:20] in page.locator(".grade .answer").first.inner_text()
    # reload mid-session: same follow-up, same grade panel, draft text kept
    question = page.locator(".qtext").inner_text()
    page.fill("#answer", "草稿：合并权重")
    page.reload()
    assert page.locator(".qtext").inner_text() == question and page.input_value("#answer") == "草稿：合并权重"
    # a grade in flight (another request holds the session) survives a reload and lands afterwards
    sid = page.evaluate("document.body.dataset.session")
    lock = server["home"] / "locks" / f"web-{sid}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        page.reload()
        page.wait_for_selector("#grading:not([hidden])")
        assert "评分中" in page.locator("#grading").inner_text()
        shot(page, "04-grading-in-flight")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    page.wait_for_selector("#answer")  # the poller reloaded into the question
    while _answer(page, "合并权重：推理时把 BA 加回原权重，没有额外延迟。", ctrl_enter=False) != "report":
        pass
    assert page.locator("#category-chart svg").count() == 1
    assert page.locator("text=接下来复习").count() + page.locator("text=薄弱点").count() >= 1
    shot(page, "05-report")
    assert page.evaluate("window.__pwned") is None


def test_drill_then_review_then_history_bank_note(page: Any, server: dict[str, Any]) -> None:
    base = server["base"]
    _start(page, base, "drill", topic="RoPE", n="1")
    assert page.evaluate("document.body.dataset.kind") == "main"
    with page.expect_navigation():
        page.click("#skip-btn")  # skip the main question: no follow-up after a skip...
    assert _kind(page) == "main"  # ...but a drill asks the failed points again, in other words
    assert page.locator(".grade .score").first.inner_text().startswith("0")
    while _answer(page, "RoPE 把位置编码成旋转角度，内积只依赖相对位置。") != "report":
        pass
    page.goto(base + "/review")
    shot(page, "06-review-queue")
    assert page.locator("tr.due").count() >= 1
    page.click("#review-btn")
    page.wait_for_selector("#answer")
    while _answer(page, "低秩分解 ΔW = BA，B 初始化为零，冻结原权重，推理时合并权重。") != "report":
        pass
    page.goto(base + "/history")
    assert page.locator("#trend-chart polyline").count() >= 1
    shot(page, "07-history")
    page.goto(base + "/bank?q=KV+Cache")
    assert page.locator("#search-results .hit").count() >= 1
    shot(page, "08-bank-search")
    page.locator("#search-results .hit a").first.click()
    page.wait_for_selector(".chunk.hit")
    shot(page, "09-note")
    page.goto(base + "/bank")
    assert page.locator("#bank-table tr").count() > 50
    shot(page, "10-bank")


def test_pause_keeps_the_session_and_resume_continues(page: Any, server: dict[str, Any]) -> None:
    base = server["base"]
    _start(page, base, "interview", n="2")
    sid = page.evaluate("document.body.dataset.session")
    page.click("#pause-btn")
    page.wait_for_selector(".banner.paused")
    assert sid in page.locator(".banner.paused").inner_text()
    page.click(f"a[href='/s/{sid}']")
    page.wait_for_selector("#answer")
    page.locator("#answer").fill("   ")
    page.locator("#answer").press("Control+Enter")
    assert "回答为空" in page.locator("#error").inner_text()  # one clear line, nothing sent
