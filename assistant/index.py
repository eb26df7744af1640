"""The store: typed records plus a Chroma index, built aside and swapped in atomically.

Layout of a store folder::

    CURRENT                  name of the live generation (replaced atomically)
    gen-<stamp>/records.json the typed records (answering never re-parses a source)
    gen-<stamp>/manifest.json which embedder built it, counts, documents
    gen-<stamp>/chroma/      the embedded Chroma database (absent when a Chroma server is used)
    embeddings.sqlite        embedding cache keyed by text, shared across generations

Chroma holds one entry per project row and one per indicator; metadata carries ids, unit,
category, numeric value, unit of measure, comparator and amounts for filtering.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from langchain_core.embeddings import Embeddings

from .config import Settings
from .errors import StoreError
from .records import RECORDS_VERSION, Corpus, Department, Project

Progress = Callable[[int, int], None]
COLLECTION = "budget_rows"


@dataclass
class Entry:
    """One index entry: a project row or an indicator, with its text and metadata."""

    id: str
    text: str
    metadata: dict[str, Any]


def entries_for(project: Project) -> list[Entry]:
    """The project's own entry and one per indicator."""
    base = {"project_id": project.id, "project": project.name, "unit": project.unit,
            "document": project.source.document, "line": project.source.line,
            "total": float(project.total), "withheld": project.withheld}
    out = [Entry(f"p:{project.id}", f"{project.name}（{project.unit}）：{project.goal}"[:500], {"kind": "project", **base})]
    for k, ind in enumerate(project.indicators):
        meta: dict[str, Any] = {"kind": "indicator", "index": k, "quantified": ind.quantified, **base}
        for key, value in (("category", ind.category), ("comparator", ind.comparator), ("measure", ind.unit),
                           ("value", None if ind.value is None else float(ind.value))):
            if value is not None:
                meta[key] = value
        out.append(Entry(f"i:{project.id}:{k}", f"{ind.category or ''}指标：{ind.name}，年度指标值：{ind.target}", meta))
    return out


class Store:
    """A store folder: load records, search the index, ingest documents atomically."""

    def __init__(self, settings: Settings, embedder: Embeddings | None = None) -> None:
        self.settings = settings
        self.root = Path(settings.store)
        self._embedder = embedder
        self._corpus: Corpus | None = None
        self._loaded_gen: str | None = None
        self._collection: Any = None
        self._manifest: tuple[str, dict[str, Any]] | None = None

    # -- reading ---------------------------------------------------------------------------
    def generation(self) -> str | None:
        """Name of the live generation, or None when nothing was ingested yet."""
        try:
            return (self.root / "CURRENT").read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def exists(self) -> bool:
        """True when the store holds an ingested index."""
        gen = self.generation()
        return gen is not None and (self.root / gen / "records.json").exists()

    def current(self) -> bool:
        """Whether the records were parsed by this version of the parser."""
        return self.manifest().get("records_version") == RECORDS_VERSION

    def manifest(self) -> dict[str, Any]:
        """The live generation's manifest (embedder, counts, documents), read once per generation."""
        gen = self._require()
        if self._manifest is None or self._manifest[0] != gen:
            self._manifest = (gen, json.loads((self.root / gen / "manifest.json").read_text(encoding="utf-8")))
        return self._manifest[1]

    def corpus(self) -> Corpus:
        """The typed records, reloaded when another process swapped in a new generation."""
        gen = self._require()
        if self._corpus is None or gen != self._loaded_gen:
            try:
                data = json.loads((self.root / gen / "records.json").read_text(encoding="utf-8"))
                self._corpus = Corpus.from_dict(data)
            except (OSError, ValueError, KeyError) as err:
                raise StoreError(f"{self.root}: the stored records are unreadable ({err.__class__.__name__}); run `assistant ingest` again") from None
            self._loaded_gen, self._collection = gen, None
        return self._corpus

    def _require(self) -> str:
        gen = self.generation()
        if gen is None or not (self.root / gen / "records.json").exists():
            raise StoreError(f"{self.root}: no index here yet; run `assistant ingest --store {self.root} FILE...`")
        return gen

    @property
    def embedder(self) -> Embeddings:
        """The configured embedder, wrapped with the store's cache (created on first use)."""
        if self._embedder is None:
            from .embedding import make_embedder

            self._embedder = make_embedder(self.settings)
        return self._embedder

    def search(self, text: str, kind: str | None = None, k: int = 8) -> list[tuple[str, float, dict[str, Any]]]:
        """Nearest entries to ``text``: ``(entry id, similarity, metadata)``, best first."""
        from .embedding import embedder_id

        built_with = self.manifest().get("embedder")
        if built_with != embedder_id(self.embedder):
            raise StoreError(
                f"this index was built with {built_with}, but the configured embedder is {embedder_id(self.embedder)}; "
                f"re-run `assistant ingest` or set ASSISTANT_EMBEDDER to match"
            )
        collection = self._open_collection()
        where = {"kind": kind} if kind else None
        count = collection.count()
        if count == 0:
            return []
        res = collection.query(query_embeddings=[self.embedder.embed_query(text)], n_results=min(k, count), where=where)
        return [(i, 1.0 - d, m) for i, d, m in zip(res["ids"][0], res["distances"][0], res["metadatas"][0])]

    def _open_collection(self) -> Any:
        gen = self._require()
        if self._collection is None or self._loaded_gen != gen:
            self.corpus()
            self._collection = self._client(gen).get_collection(self._collection_name(gen))
        return self._collection

    # -- writing ---------------------------------------------------------------------------
    def ingest(self, departments: Iterable[Department], progress: Progress | None = None,
               fail_after: int | None = None) -> Corpus:
        """Replace these documents (by file name) in the store; other documents stay.

        Builds a whole new generation aside and swaps ``CURRENT`` only when it is complete, so a
        failure at any point leaves the previous index answering. ``fail_after`` (tests) raises
        after that many entries are embedded.
        """
        from .embedding import CachedEmbeddings, embedder_id

        new = list(departments)
        names = {d.document for d in new}
        kept = [d for d in self.corpus().departments if d.document not in names] if self.exists() else []
        corpus = Corpus(kept + new)
        self.root.mkdir(parents=True, exist_ok=True)
        gen = f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        build = self.root / f".build-{gen}"
        try:
            build.mkdir()
            (build / "records.json").write_text(json.dumps(corpus.to_dict(), ensure_ascii=False), encoding="utf-8")
            entries = [e for p in corpus.projects() for e in entries_for(p)]
            cached = CachedEmbeddings(self.embedder, self.root / "embeddings.sqlite")
            collection = self._client(gen, build).get_or_create_collection(
                self._collection_name(gen), metadata={"hnsw:space": "cosine"})
            done = 0
            for k in range(0, len(entries), 32):
                batch = entries[k:k + 32]
                if fail_after is not None and done + len(batch) > fail_after:
                    raise StoreError("ingest interrupted (injected failure)")
                vectors = cached.embed_documents([e.text for e in batch])
                collection.add(ids=[e.id for e in batch], documents=[e.text for e in batch],
                               embeddings=vectors, metadatas=[e.metadata for e in batch])
                done += len(batch)
                if progress:
                    progress(done, len(entries))
            manifest = {
                "embedder": embedder_id(self.embedder), "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "documents": [d.document for d in corpus.departments], "entries": len(entries),
                "projects": len(corpus.projects()), "indicators": len(corpus.indicators()),
                "chroma": "server" if self.settings.chroma_host else "embedded", "records_version": RECORDS_VERSION,
            }
            (build / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
            self._release_clients()
            os.replace(build, self.root / gen)
            tmp = self.root / f".CURRENT-{gen}"
            tmp.write_text(gen, encoding="utf-8")
            os.replace(tmp, self.root / "CURRENT")  # the atomic swap
        except BaseException:
            self._release_clients()
            shutil.rmtree(build, ignore_errors=True)
            raise
        self._prune(keep=gen)
        self._corpus, self._loaded_gen, self._collection = corpus, gen, None
        return corpus

    def _prune(self, keep: str) -> None:
        """Remove generations older than the one before ``keep`` (a reader may still use it)."""
        gens = sorted(p for p in self.root.glob("gen-*") if p.is_dir() and p.name != keep)
        for old in gens[:-1]:
            shutil.rmtree(old, ignore_errors=True)
            if self.settings.chroma_host:
                try:
                    self._client(old.name).delete_collection(self._collection_name(old.name))
                except Exception:  # an already-deleted collection is fine
                    pass

    # -- Chroma ----------------------------------------------------------------------------
    def _collection_name(self, gen: str) -> str:
        return f"{COLLECTION}-{gen}" if self.settings.chroma_host else COLLECTION

    def _client(self, gen: str, folder: Path | None = None) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if self.settings.chroma_host:
            try:
                return chromadb.HttpClient(host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings)
            except Exception as err:
                raise StoreError(f"cannot reach the Chroma server at {self.settings.chroma_host}:{self.settings.chroma_port} ({err.__class__.__name__}); is `chroma run` up?") from None
        path = (folder or self.root / gen) / "chroma"
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)

    def _release_clients(self) -> None:
        """Drop cached Chroma systems so their folders can be moved or deleted."""
        self._collection = None
        try:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
        except Exception:  # older/newer chromadb without this hook: nothing to release
            pass
