"""Inline SVG line charts for the history page (no script, every label escaped). The per-category bar chart
of a session is the report's own :func:`agent.report.html.bar_chart`."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#4e342e", "#558b2f")
W, H, LEFT, TOP, PLOT_W, PLOT_H = 760, 260, 40, 16, 560, 200


def _x(i: int, n: int) -> float:
    return LEFT + (PLOT_W * i / (n - 1) if n > 1 else PLOT_W / 2)


def _y(v: float) -> float:
    return TOP + PLOT_H * (1 - max(0.0, min(v, 10.0)) / 10)


def line_chart(series: dict[str, list[float]], label: str) -> Markup:
    """One polyline per series over its own points (oldest left), 0–10 on the y axis, legend on the right."""
    if not series:
        return Markup('<p class="meta">暂无数据</p>')
    parts = []
    for t in (0, 2, 4, 6, 8, 10):
        y = _y(t)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + PLOT_W}" y2="{y:.1f}" stroke="#e4e7eb"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#616e7c">{t}</text>')
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{_x(i, len(values)):.1f},{_y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        parts += [f'<circle cx="{_x(i, len(values)):.1f}" cy="{_y(v):.1f}" r="3" fill="{color}"/>'
                  for i, v in enumerate(values)]
        ly = TOP + 14 + 18 * k
        parts.append(f'<rect x="{LEFT + PLOT_W + 16}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{LEFT + PLOT_W + 32}" y="{ly}" font-size="12" fill="#1f2933">{escape(name)}</text>')
    height = max(H, TOP + 24 + 18 * len(series))
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(label)}" width="100%" '
                  f'viewBox="0 0 {W} {height}">{"".join(parts)}</svg>')
