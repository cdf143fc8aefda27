"""``mockint web``: the browser front end on the same graph, checkpointer, store, review DB and transcripts as
the CLI (a session started in one resumes in the other).

Modules: :mod:`.service` drives sessions through :func:`agent.interview.sessions.run_session` (one request = one step);
:mod:`.locks` serializes writes to a session; :mod:`.api` is the JSON API, :mod:`.pages` the server-rendered
pages (Jinja2 templates, autoescaped), :mod:`.views` the grade-panel and note helpers, :mod:`.charts` the
inline SVG charts, :mod:`.security` the host / token / same-origin checks, :mod:`.app` puts them together.
The app keeps no session state in memory between requests.
"""
