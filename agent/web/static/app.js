// mockint web: a little plain JavaScript over the JSON API. No inline script (CSP), no network but this server.
"use strict";
(function () {
  const $ = (sel) => document.querySelector(sel);
  const body = document.body;

  function showError(msg) {
    const box = $("#error");
    box.textContent = msg;
    box.hidden = !msg;
  }

  async function post(url, data) {
    const res = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(data || {}),
    });
    let json = {};
    try { json = await res.json(); } catch (e) { json = { error: "服务器返回了无法解析的响应（" + res.status + "）" }; }
    if (!res.ok) throw new Error(json.error || ("请求失败（" + res.status + "）"));
    return json;
  }

  function ticker(el) {
    const t0 = Date.now();
    const id = setInterval(() => { el.textContent = Math.round((Date.now() - t0) / 1000) + " 秒"; }, 500);
    return () => clearInterval(id);
  }

  // ------------------------------------------------------------ start page
  function initStart() {
    const form = $("#start-form");
    if (!form) return;
    const sync = () => {
      const mode = form.querySelector("input[name=mode]:checked").value;
      document.querySelectorAll("[data-for]").forEach((el) => { el.hidden = el.dataset.for !== mode; });
    };
    form.querySelectorAll("input[name=mode]").forEach((r) => r.addEventListener("change", sync));
    sync();
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const fd = new FormData(form);
      const mode = fd.get("mode");
      const data = { mode: mode, n: parseInt(fd.get("n"), 10) || 5, engine: fd.get("engine") };
      if (mode === "interview") {
        data.categories = fd.getAll("categories");
        data.difficulty = fd.get("difficulty") ? parseInt(fd.get("difficulty"), 10) : null;
      }
      if (mode === "drill") data.topic = fd.get("topic");
      const btn = $("#start-btn");
      btn.disabled = true; btn.textContent = "准备中…"; showError("");
      try {
        const res = await post("/api/sessions", data);
        location.href = "/s/" + encodeURIComponent(res.session_id);
      } catch (e) { showError(e.message); btn.disabled = false; btn.textContent = "开始"; }
    });
  }

  function initReview() {
    const btn = $("#review-btn");
    if (!btn) return;
    btn.addEventListener("click", async () => {
      btn.disabled = true; showError("");
      try {
        const res = await post("/api/sessions", { mode: "review", n: parseInt(btn.dataset.n, 10), engine: btn.dataset.engine });
        location.href = "/s/" + encodeURIComponent(res.session_id);
      } catch (e) { showError(e.message); btn.disabled = false; }
    });
  }

  // ------------------------------------------------------------ session page
  function initSession() {
    const sid = body.dataset.session;
    if (!sid) return;
    const base = "/api/sessions/" + encodeURIComponent(sid);
    const qid = body.dataset.questionId;
    const draftKey = "mockint-draft:" + sid + ":" + qid + ":" + body.dataset.kind;
    const grading = $("#grading");
    const goOn = (res) => { location.href = res && res.done ? "/s/" + encodeURIComponent(sid) + "/report" : location.pathname; };

    function waitForGrade() {  // a grade in flight (this tab or another, before a reload): poll until it lands
      grading.hidden = false;
      const stop = ticker($("#grading-elapsed"));
      const poll = async () => {
        try {
          const res = await fetch(base + "/state", { credentials: "same-origin" });
          const st = await res.json();
          if (st.status === "grading") { setTimeout(poll, 700); return; }
          stop(); location.reload();
        } catch (e) { setTimeout(poll, 1500); }
      };
      setTimeout(poll, 500);
    }

    if (body.dataset.status === "grading") { waitForGrade(); return; }
    if (body.dataset.status === "stalled") {
      grading.hidden = false;
      post(base + "/resume").then(goOn, (e) => {
        if (/评分中|稍候/.test(e.message)) waitForGrade(); else showError(e.message);
      });
      return;
    }
    const form = $("#answer-form");
    if (!form) return;
    const box = $("#answer");
    box.value = sessionStorage.getItem(draftKey) || "";
    box.addEventListener("input", () => sessionStorage.setItem(draftKey, box.value));
    const buttons = form.querySelectorAll("button");

    async function send(url, data, shown) {
      showError("");
      buttons.forEach((b) => { b.disabled = true; });
      $("#pending-answer").textContent = shown;
      $("#grading-text").textContent = "评分中…";
      grading.hidden = false;
      const stop = ticker($("#grading-elapsed"));
      try {
        const res = await post(url, data);
        sessionStorage.removeItem(draftKey);
        goOn(res);
      } catch (e) {
        stop(); grading.hidden = true;
        buttons.forEach((b) => { b.disabled = false; });
        showError(e.message);
      }
    }

    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!box.value.trim()) { showError("回答为空：请输入回答，或点击「跳过」"); return; }
      send(base + "/answer", { answer: box.value, question_id: qid }, box.value);
    });
    box.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    });
    $("#skip-btn").addEventListener("click", () => send(base + "/skip", { question_id: qid }, "（跳过）"));
    $("#pause-btn").addEventListener("click", () => { location.href = "/?paused=" + encodeURIComponent(sid); });
  }

  function initLogin() {
    const form = $("#login-form");
    if (!form) return;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try { await post("/api/login", { token: $("#token").value }); location.href = "/"; }
      catch (e) { showError(e.message); }
    });
  }

  function initBanner() {
    const banner = $("#store-banner");
    if (!banner || banner.dataset.store !== "building") return;
    const poll = async () => {
      try {
        const st = await (await fetch("/api/health")).json();
        if (st.store !== "building") { location.reload(); return; }
      } catch (e) { /* server restarting */ }
      const el = $("#store-elapsed");
      if (el) el.textContent = String(parseInt(el.textContent, 10) + 2);
      setTimeout(poll, 2000);
    };
    setTimeout(poll, 2000);
  }

  document.addEventListener("DOMContentLoaded", () => {
    initBanner(); initStart(); initReview(); initSession(); initLogin();
  });
})();
