"""The question bank: parse notes → merge near-duplicates → classify → ``knowledge/bank.jsonl``.

Per merged question:
  * text: the most informative phrasing (most content tokens, then has an answer, then longest);
  * sources: every provenance (file, section, line range), the chosen phrasing first;
  * reference points: union over the duplicates (each source gets a fair share, near-identical points once,
    ≤ 12); follow-ups, tags and
    companies: unions in order of appearance;
  * kind: ``project`` when the chosen phrasing asks about the candidate's own project/experience;
  * category: :func:`agent.knowledge.taxonomy.classify`; id: ``<category>-<sha1(normalised text)[:8]>`` (stable);
  * difficulty: the highest ⭐ count any source gives (capped at 3); otherwise this heuristic —
    3 for derivations / formulas / source code / hand-written code / loss functions / complexity, for
    questions with ≥ 3 sub-questions or longer than 60 characters; 1 for a short (≤ 20 characters)
    single definitional question (什么是 / 是什么 / 有哪些 / 介绍); 2 otherwise (and for project questions).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from agent import config
from agent.errors import MockintError, UsageError
from agent.knowledge.dedupe import cluster, normalize, tokens
from agent.knowledge.notes import RawQuestion, parse_text
from agent.knowledge.notes.points import MAX_POINTS, select_points
from agent.knowledge.notes.shapes import SHAPES
from agent.knowledge.taxonomy import CATEGORIES, classify, detect_kind
from agent.schemas import Question, Source
from agent.textio import iter_note_files, read_note_text

_DEEP = re.compile(r"推导|手推|公式|数学|证明|源码|手写|底层|损失函数|复杂度|信用分配|如何设计")
_DEFINITIONAL = re.compile(r"什么是|是什么|有哪些|介绍|是干嘛|什么意思")
_ORDER = {c.slug: i for i, c in enumerate(CATEGORIES)}


@dataclass
class BankBuild:
    """Result of :func:`build_bank`. ``assignments[i]`` is the bank id that raw question ``raw[i]`` went to."""

    questions: list[Question]
    raw_counts: dict[str, int] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    raw: list[RawQuestion] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)


def home_bank_path() -> Path:
    """The bank the current store was built with (``$MOCKINT_HOME/bank-gN.jsonl``, named in ``store.json``), or
    ``$MOCKINT_HOME/bank.jsonl`` of a store built before generations. May not exist (then the shipped bank)."""
    from agent.knowledge.store_state import read_state

    state = read_state()
    if state is not None:
        return config.home() / state.bank if state.bank else config.bank_path()
    return config.home() / "bank.jsonl"


def heuristic_difficulty(text: str, kind: str = "knowledge") -> int:
    if kind == "project":
        return 2
    parts = len(re.findall(r"[？?]", text))
    if _DEEP.search(text) or parts >= 3 or len(text) > 60:
        return 3
    if len(text) <= 20 and parts <= 1 and _DEFINITIONAL.search(text):
        return 1
    return 2


def _named_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """Note files with the name recorded as provenance: relative to a given folder, else the file name."""
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for path in paths:
        for f in iter_note_files([path]):
            key = f.resolve()
            if key in seen:
                continue
            seen.add(key)
            name = f.relative_to(path).as_posix() if path.is_dir() else f.name
            out.append((f, name))
    return sorted(out, key=lambda item: item[1])  # the bank does not depend on the order paths are given


def _unique(items: list[str], key=normalize) -> list[str]:  # type: ignore[no-untyped-def]
    seen: set[str] = set()
    out = []
    for item in items:
        k = key(item)
        if item and k not in seen:
            seen.add(k)
            out.append(item)
    return out


def _union_points(lists: list[list[str]]) -> list[str]:
    """Union of the duplicates' points, ≤ MAX_POINTS: every source gets a fair share (round-robin), near-identical
    points are kept once, and the result keeps each source's points together in their original order."""
    cleaned = [select_points(points, 10**6) for points in lists]
    chosen: set[tuple[int, int]] = set()
    kept: list[str] = []
    for rank in range(max((len(c) for c in cleaned), default=0)):
        for src, points in enumerate(cleaned):
            if rank < len(points) and len(kept) < MAX_POINTS and select_points(kept + [points[rank]], 10**6) != kept:
                kept.append(points[rank])
                chosen.add((src, rank))
    return [points[r] for src, points in enumerate(cleaned) for r in range(len(points)) if (src, r) in chosen]


def _representative(members: list[RawQuestion]) -> RawQuestion:
    return max(members, key=lambda r: (len(tokens(r.text)), bool(r.points), len(r.text), -members.index(r)))


def _merge(members: list[RawQuestion]) -> Question:
    rep = _representative(members)
    ordered = [rep] + [m for m in members if m is not rep]
    kind = "project" if (rep.kind_hint == "project" or detect_kind(rep.text) == "project") else "knowledge"
    category = classify(rep.text, rep.section, kind)
    stars = [m.difficulty for m in members if m.difficulty]
    points = _union_points([m.points for m in ordered])
    digest = hashlib.sha1(normalize(rep.text).encode("utf-8")).hexdigest()[:8]
    return Question(
        id=f"{category}-{digest}",
        text=rep.text,
        category=category,
        section=rep.section,
        difficulty=max(stars) if stars else heuristic_difficulty(rep.text, kind),
        kind=kind,  # type: ignore[arg-type]
        reference_points=points,
        followups=_unique([f for m in ordered for f in m.followups]),
        tags=_unique([t for m in ordered for t in m.tags], key=str.lower),
        companies=_unique([c for m in ordered for c in m.companies], key=str.lower),
        sources=[Source(file=m.file, section=m.section, lines=m.lines) for m in ordered],
    )


def build_bank(paths: list[Path]) -> BankBuild:
    """Parse every note under ``paths`` and merge them into one deduplicated, classified bank."""
    return build_bank_from_notes([(name, read_note_text(path)) for path, name in _named_files(paths)])


def build_bank_from_notes(notes: list[tuple[str, str]]) -> BankBuild:
    """The bank of already decoded notes, ``(name recorded as provenance, text)`` each (ingest passes the texts
    it read); the result does not depend on their order."""
    build = BankBuild(questions=[])
    for name, text in sorted(notes, key=lambda note: note[0]):
        note = parse_text(text, name)
        build.raw_counts[name] = len(note.questions)
        build.formats[name] = note.fmt
        if not note.questions:
            build.warnings.append(f"{name}: 没有识别出任何问题（{SHAPES}）")
        build.raw.extend(note.questions)
    groups = cluster([r.text for r in build.raw])
    build.assignments = [""] * len(build.raw)
    for group in groups:
        question = _merge([build.raw[i] for i in group])
        for i in group:
            build.assignments[i] = question.id
        build.questions.append(question)
    first = {q.id: (q.sources[0].file, q.sources[0].lines[0]) for q in build.questions}
    build.questions.sort(key=lambda q: (_ORDER.get(q.category, 99), first[q.id], q.id))
    return build


def write_bank(questions: list[Question], path: Path) -> None:
    """One Question JSON per line (UTF-8, ``ensure_ascii=False``), written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as fh:
        for q in questions:
            fh.write(json.dumps(q.model_dump(mode="json"), ensure_ascii=False) + "\n")
    tmp.replace(path)


def bank_file() -> Path:
    """The file :func:`load_bank` reads by default: the bank of the current store (your ingested notes) if it
    exists, else the shipped one."""
    path = home_bank_path()
    return path if path.exists() else config.bank_path()


def load_bank(path: Path | None = None) -> list[Question]:
    """The bank: ``path``; else :func:`bank_file` (the current store's bank, or the shipped one)."""
    if path is None:
        path = bank_file()
    if not path.exists():
        raise MockintError(f"题库文件不存在: {path}", hint="先运行 mockint ingest 从笔记生成题库")
    questions: list[Question] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MockintError(f"无法读取题库 {path}: {exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            questions.append(Question.model_validate_json(line))
        except ValueError as exc:
            first = str(exc).splitlines()[0]
            raise MockintError(f"题库 {path} 第 {n} 行格式错误: {first}", hint="重新运行 mockint ingest") from None
    return questions


def load_bank_or_fail() -> list[Question]:
    """:func:`load_bank`, and an empty bank is an error with a hint (commands that need questions)."""
    bank = list(load_bank())
    if not bank:
        raise MockintError("题库为空", hint="先用 mockint ingest 导入笔记")
    return bank


def find_question(questions: list[Question], qid: str) -> Question:
    """The question with this id (or a unique id prefix); a clear error otherwise."""
    key = qid.strip()
    for q in questions:
        if q.id == key:
            return q
    matches = [q for q in questions if key and q.id.startswith(key)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageError(f"题目 id 前缀 {key!r} 不唯一（匹配 {len(matches)} 道），请写完整 id")
    raise UsageError(f"题库中没有 id 为 {key!r} 的题目", hint="用 mockint bank list 查看所有 id")


def _by_category(counts: Counter[str], zeros: bool) -> dict[str, int]:
    """Counts in taxonomy order (categories with no question kept when ``zeros``), unknown slugs last, sorted."""
    known = {c.slug: counts.get(c.slug, 0) for c in CATEGORIES if zeros or counts.get(c.slug)}
    return known | {k: v for k, v in sorted(counts.items()) if k not in _ORDER}


def bank_stats(questions: list[Question]) -> dict:
    """``{questions, by_category, by_source, by_kind, with_reference, with_followups}``."""
    by_category = Counter(q.category for q in questions)
    by_source: Counter[str] = Counter()
    for q in questions:
        for file in dict.fromkeys(s.file for s in q.sources):
            by_source[file] += 1
    return {
        "questions": len(questions),
        "by_category": _by_category(by_category, zeros=True),
        "by_source": dict(sorted(by_source.items())),
        "by_kind": {k: sum(1 for q in questions if q.kind == k) for k in ("knowledge", "project")},
        "with_reference": sum(1 for q in questions if q.reference_points),
        "with_followups": sum(1 for q in questions if q.followups),
    }


def bank_gaps(questions: list[Question]) -> dict:
    """Questions whose notes give no reference answer, by note and by category (``mockint bank gaps``).

    ``{"total", "knowledge", "project", "by_note": {file: [id...]}, "by_category": {slug: n},
    "questions": [{id, text, category, kind, difficulty, sources}]}``. Knowledge questions among them are graded
    on the rubric only (or self-rated); project / experience questions are graded on the STAR rubric anyway.
    """
    gaps = [q for q in questions if not q.reference_points]
    by_note: dict[str, list[str]] = {}
    for q in gaps:
        for file in dict.fromkeys(s.file for s in q.sources):
            by_note.setdefault(file, []).append(q.id)
    by_category = Counter(q.category for q in gaps)
    return {
        "total": len(gaps),
        "knowledge": sum(1 for q in gaps if q.kind == "knowledge"),
        "project": sum(1 for q in gaps if q.kind == "project"),
        "by_note": dict(sorted(by_note.items())),
        "by_category": _by_category(by_category, zeros=False),
        "questions": [{"id": q.id, "text": q.text, "category": q.category, "kind": q.kind,
                       "difficulty": q.difficulty, "sources": [s.model_dump(mode="json") for s in q.sources]}
                      for q in gaps],
    }
