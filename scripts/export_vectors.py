"""Regenerate the shipped vectors ``knowledge/vectors/`` (chunks and bank questions of ``knowledge/sources/``).

Usage: ``.venv/bin/python scripts/export_vectors.py`` (after ``scripts/export_bank.py``; a test fails while the
vectors are stale). Vectors are float16, L2-normalised e5 passage embeddings, keyed by the sha1 of their text.
"""

from __future__ import annotations

import json
import time

import numpy as np

from agent import config
from agent.knowledge import embeddings
from agent.knowledge.bank import load_bank
from agent.knowledge.chunking import chunk_note
from agent.knowledge.ingest import collect_files
from agent.knowledge.shipped_vectors import META, VECTORS, content_hash, text_key, vectors_dir
from agent.textio import read_note_text


def main() -> int:
    started = time.perf_counter()
    sources = config.default_sources_dir()
    texts = [c.text for f in collect_files([sources]) for c in chunk_note(read_note_text(f.path), f.source)]
    texts += [q.text for q in load_bank(config.bank_path())]
    unique = list(dict.fromkeys(texts))
    ef = embeddings.make_embedding_function()
    vectors = np.asarray(ef(unique), dtype=np.float32).astype(np.float16)
    out = vectors_dir()
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / VECTORS, vectors=vectors)
    meta = {"embedder": embeddings.embedder_id(ef), "content_hash": content_hash(sources),
            "dtype": "float16", "dim": int(vectors.shape[1]), "keys": [text_key(t) for t in unique]}
    (out / META).write_text(json.dumps(meta, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{out}: {len(unique)} 个向量（{vectors.nbytes / 1e3:.0f} kB），用时 {time.perf_counter() - started:.1f} 秒")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
