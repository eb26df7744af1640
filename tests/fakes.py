"""Fakes used through the real constructors (no patching)."""
from __future__ import annotations

import hashlib
import math

from langchain_core.embeddings import Embeddings


class HashEmbeddings(Embeddings):
    """Deterministic 16-dimensional vectors from a hash of the text; counts what it embeds."""

    def __init__(self, id: str = "fake-hash", fail_after: int | None = None) -> None:
        self.id = id
        self.embedded = 0
        self.fail_after = fail_after

    def _vector(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        v = [b - 127.5 for b in digest[:16]]
        norm = math.sqrt(sum(x * x for x in v))
        return [x / norm for x in v]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.fail_after is not None and self.embedded + len(texts) > self.fail_after:
            raise RuntimeError("embedder crashed (injected)")
        self.embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
