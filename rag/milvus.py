"""The index on Milvus through pymilvus ``MilvusClient``: Milvus Lite on a local ``.db`` path, or a
server or cluster at ``http://host:19530`` (``RAG_STORE=milvus``, ``RAG_MILVUS_URI``).

One collection holds everything:

    key     INT64 primary key: the chunk's key (the manifest row has key -1)
    doc_id  VARCHAR: a scalar field, so filters by document stay fast (JSON-path filters took
            seconds on Lite)
    lang    VARCHAR
    text    VARCHAR, analysed by jieba in search mode with lower-casing and the lexical index's
            stop words (``{"type": "chinese"}`` is rejected by Lite), feeding a BM25 function
    sparse  the BM25 function's output
    vector  FLOAT_VECTOR, inner product
    chunk   JSON: the chunk record (the manifest row: the manifest and the next free key)

Searches reach the collection through an alias (``Settings.milvus_collection``). A rebuild fills a
new collection and then moves the alias, so a search sees the old index or the new one, as with
FAISS generations. Inside a collection Milvus has no transactions: an upsert deletes the
documents' old chunks, inserts the new ones and writes the manifest row last, so an interrupted
upsert leaves a manifest that still names the old content, and running `rag index` again redoes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Collection, Iterator, Sequence

import numpy as np
from tqdm import tqdm

from . import store
from .config import Settings
from .embedding import ModelIdentity
from .errors import IndexError_
from .language import quiet_jieba
from .lexical import STOP_WORDS
from .records import Chunk, Where
from .store import Manifest

MANIFEST_KEY = -1
#: Rows sent per insert call (each row carries a 768-float vector and the chunk's JSON).
INSERT_BATCH = 512
_MAX_TEXT = 65_535
#: BM25 over the same words as the FAISS store's bm25s index: jieba search mode, lower case, the
#: same stop words.
ANALYZER = {"tokenizer": {"type": "jieba", "mode": "search"},
            "filter": ["lowercase", {"type": "stop", "stop_words": sorted(STOP_WORDS)}]}


def _literal(values: Sequence[str]) -> str:
    # JSON string literals are valid Milvus expression strings (double quotes, backslash escapes);
    # Milvus Lite does not take filter_params templates.
    return json.dumps(list(values), ensure_ascii=False)


def expression(where: Where | None) -> str:
    """The Milvus filter for ``where``; the manifest row is always left out."""
    parts = ["key >= 0"]
    if where and where.doc_ids:
        parts.append(f"doc_id in {_literal(where.doc_ids)}")
    if where and where.lang:
        parts.append(f"lang == {json.dumps(where.lang)}")
    return " and ".join(parts)


class MilvusChunks:
    """Chunk records by key, read from Milvus on demand and kept in a small cache (searches return
    the records of their hits, so reading a hit costs no extra round trip)."""

    def __init__(self, index: "MilvusIndex", cache_size: int = 4096) -> None:
        self._index = index
        self._cache: OrderedDict[int, Chunk] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()
        self.langs = _Langs(self)

    def remember(self, key: int, record: dict[str, Any]) -> None:
        chunk = Chunk.from_dict(record)
        with self._lock:
            self._cache[key] = chunk
            self._cache.move_to_end(key)
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def __len__(self) -> int:
        return self._index.count()

    def __getitem__(self, key: int) -> Chunk:
        key = int(key)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        rows = self._index.call("get", ids=[key], output_fields=["chunk"])
        if not rows or key < 0:
            raise KeyError(key)
        self.remember(key, rows[0]["chunk"])
        return self._cache[key]

    def items(self) -> Iterator[tuple[int, Chunk]]:
        """Every (key, chunk), read in batches."""
        it = self._index.call("query_iterator", batch_size=1000, filter=expression(None),
                              output_fields=["key", "chunk"])
        try:
            while batch := it.next():
                for row in batch:
                    yield int(row["key"]), Chunk.from_dict(row["chunk"])
        finally:
            it.close()

    def __iter__(self) -> Iterator[Chunk]:
        return (c for _, c in self.items())


class _Langs:
    def __init__(self, chunks: MilvusChunks) -> None:
        self._chunks = chunks

    def __getitem__(self, key: int) -> str:
        return self._chunks[key].lang


def _client(settings: Settings) -> tuple[Any, str]:
    from pymilvus import MilvusClient

    # pymilvus logs every failed call with a traceback before raising; the errors reach the user
    # as one line instead (MilvusIndex.call). Lite's analyzer loads jieba, which announces itself.
    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)
    # Milvus Lite's in-process server logs the calls it does not implement (AllocTimestamp, which
    # pymilvus's query iterator tries before it falls back) with a traceback.
    logging.getLogger("grpc._server").setLevel(logging.CRITICAL)
    quiet_jieba()

    uri = settings.milvus_uri or str(settings.index_dir / "milvus.db")
    if uri.endswith(".db"):
        Path(uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        client = MilvusClient(uri=uri, token=settings.milvus_token) if settings.milvus_token else MilvusClient(uri=uri)
    except Exception as e:  # pymilvus raises MilvusException, grpc errors or OSError for a bad URI
        raise IndexError_(f"cannot connect to Milvus at {uri} ({type(e).__name__}: {_first_line(e)})",
                          "start the server, or set RAG_MILVUS_URI to a reachable http://host:19530 or a .db path") from None
    return client, uri


def _first_line(e: BaseException) -> str:
    text = str(getattr(e, "message", "") or e)
    return text.splitlines()[0][:160] if text else ""


class MilvusIndex:
    """An opened Milvus collection: the ``vectorstore.Searchable`` of the Milvus store."""

    def __init__(self, client: Any, collection: str, manifest: Manifest, location: str) -> None:
        self.client = client
        self.collection = collection
        self.manifest = manifest
        self.location = location
        self.chunks = MilvusChunks(self)

    def call(self, method: str, **kwargs: Any) -> Any:
        """A client call on this collection; a Milvus failure becomes a one-line ``IndexError_``."""
        try:
            return getattr(self.client, method)(self.collection, **kwargs)
        except IndexError_:
            raise
        except Exception as e:
            raise IndexError_(f"Milvus at {self.location} failed on {method} ({type(e).__name__}: {_first_line(e)})",
                              "check that the server is up, or rebuild with `rag index --rebuild`") from None

    def count(self) -> int:
        rows = self.call("query", filter=expression(None), output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def _hits(self, result: Any) -> list[tuple[int, float]]:
        out = []
        for hit in result[0] if result else []:
            key = int(hit["key"] if "key" in hit else hit["id"])
            entity = hit.get("entity") or {}
            if "chunk" in entity:
                self.chunks.remember(key, entity["chunk"])
            out.append((key, float(hit["distance"])))
        return out

    def dense_search(self, query: np.ndarray, k: int, where: Where | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (key, inner product)."""
        vec = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        return self._hits(self.call("search", data=[vec], anns_field="vector", limit=k, filter=expression(where),
                                    output_fields=["chunk"], search_params={"metric_type": "IP"}))

    def bm25_search(self, query: str, k: int, where: Where | None = None) -> list[tuple[int, float]]:
        """Top ``k`` (key, BM25 score) by Milvus's BM25 function. Milvus Lite reports BM25 as a
        negative distance; the score returned is its size either way."""
        if not query.strip():
            return []
        hits = self._hits(self.call("search", data=[query], anns_field="sparse", limit=k, filter=expression(where),
                                    output_fields=["chunk"], search_params={"metric_type": "BM25"}))
        return [(key, abs(score)) for key, score in hits if score != 0]

    def hybrid_search(self, query: str, vector: np.ndarray, k: int, where: Where | None = None,
                      rrf_k: int = 60) -> list[tuple[int, float]]:
        """Dense and BM25 fused by Milvus's own RRF ranker."""
        from pymilvus import AnnSearchRequest, RRFRanker

        expr = expression(where)
        vec = np.asarray(vector, dtype=np.float32).reshape(-1).tolist()
        requests = [AnnSearchRequest(data=[vec], anns_field="vector", param={"metric_type": "IP"}, limit=k, expr=expr)]
        if query.strip():
            requests.append(AnnSearchRequest(data=[query], anns_field="sparse", param={"metric_type": "BM25"},
                                             limit=k, expr=expr))
        return self._hits(self.call("hybrid_search", reqs=requests, ranker=RRFRanker(rrf_k), limit=k,
                                    output_fields=["chunk"]))

    def similarities(self, query: np.ndarray, keys: list[int]) -> dict[int, float]:
        """Exact cosine of ``query`` to the given chunks (their vectors fetched by key)."""
        if not keys:
            return {}
        rows = self.call("get", ids=[int(k) for k in keys], output_fields=["vector"])
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        return {int(r["key"]): float(np.asarray(r["vector"], dtype=np.float32) @ q) for r in rows}


class MilvusStore:
    """The ``vectorstore.VectorStore`` on Milvus."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.alias = settings.milvus_collection
        self.client, uri = _client(settings)
        self.location = f"milvus {uri} ({self.alias})"
        self._local = uri.endswith(".db")

    # -- reading ---------------------------------------------------------------------------------
    def _live(self) -> str | None:
        """The collection the alias points to (``None``: no index yet)."""
        try:
            return str(self.client.describe_alias(self.alias)["collection_name"])
        except Exception:  # pymilvus raises for an unknown alias
            return None

    def exists(self) -> bool:
        return self._live() is not None

    def _read(self, collection: str) -> tuple[Manifest, int]:
        index = MilvusIndex(self.client, collection, Manifest(model={}, dimension=0), self.location)
        index.call("load_collection")  # a reopened collection starts released
        rows = index.call("get", ids=[MANIFEST_KEY], output_fields=["chunk"])
        if not rows:
            raise IndexError_(f"{self.location} has no manifest row (not an index of this tool, or damaged)",
                              "run `rag index --rebuild`")
        data = rows[0]["chunk"]
        if data.get("manifest", {}).get("format_version") != store.FORMAT_VERSION:
            raise IndexError_(f"{self.location} has index format {data.get('manifest', {}).get('format_version')}, "
                              f"this version reads {store.FORMAT_VERSION}", "run `rag index --rebuild`")
        return Manifest.from_dict(data["manifest"]), int(data.get("next_key", 0))

    def read_manifest(self) -> Manifest:
        live = self._live()
        if live is None:
            raise IndexError_(f"no index in {self.location}", "build one with `rag index`")
        return self._read(live)[0]

    def open(self, identity: ModelIdentity | None = None) -> MilvusIndex:
        manifest = self.read_manifest()
        if identity is not None:
            store.check_model(manifest, identity, self.location)
        return MilvusIndex(self.client, self.alias, manifest, self.location)

    def lock(self) -> contextlib.AbstractContextManager[None]:
        # One writer per machine, held in the local index folder (which keeps the embedding
        # checkpoints, renderings and uploads). Writers on several machines need their own turn-taking.
        return store.write_lock(self.settings.index_dir)

    # -- writing ---------------------------------------------------------------------------------
    def _create(self, name: str, dimension: int) -> None:
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("key", DataType.INT64, is_primary=True)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        schema.add_field("lang", DataType.VARCHAR, max_length=16)
        schema.add_field("text", DataType.VARCHAR, max_length=_MAX_TEXT, enable_analyzer=True, analyzer_params=ANALYZER)
        schema.add_field("chunk", DataType.JSON)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        params = self.client.prepare_index_params()
        # Exact search on a local Lite file, as the FAISS store below its threshold; a server
        # chooses its own approximate index for its deployment.
        params.add_index("vector", index_type="FLAT" if self._local else "AUTOINDEX", metric_type="IP")
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self.client.create_collection(name, schema=schema, index_params=params)

    def _insert(self, collection: str, chunks: Sequence[Chunk], vectors: np.ndarray, first_key: int,
                progress: bool) -> None:
        bar = tqdm(total=len(chunks), unit="chunk", desc="writing to Milvus", disable=not progress or len(chunks) <= INSERT_BATCH)
        for start in range(0, len(chunks), INSERT_BATCH):
            rows = [{"key": first_key + i, "doc_id": c.doc_id, "lang": c.lang, "text": c.text[:_MAX_TEXT // 4],
                     "chunk": c.to_dict(), "vector": np.asarray(vectors[i], dtype=np.float32).tolist()}
                    for i, c in enumerate(chunks[start:start + INSERT_BATCH], start=start)]
            self.client.insert(collection, rows)
            bar.update(len(rows))
        bar.close()

    # Rows stay in a growing, unindexed segment until flushed: searched that way, 20,000 rows took
    # 1.4 s per dense and 2 s per BM25 query on Lite instead of 40 and 15 ms. Every write flushes.
    def _write_manifest(self, collection: str, manifest: Manifest, next_key: int) -> None:
        manifest.created = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        manifest.checksums = {}
        row = {"key": MANIFEST_KEY, "doc_id": "", "lang": "", "text": "",
               "chunk": {"manifest": json.loads(manifest.to_json()), "next_key": next_key},
               "vector": [0.0] * manifest.dimension}
        self.client.upsert(collection, [row])

    def upsert(self, manifest: Manifest, chunks: Sequence[Chunk], vectors: np.ndarray,
               current: Any, replace: Collection[str] = (), progress: bool = False) -> int:
        """Write ``chunks`` with ``vectors``, replacing the old chunks of their documents and of
        ``replace``; with ``current`` ``None``, into a new collection that then replaces the live one."""
        try:
            if current is None:
                return self._rebuild(manifest, chunks, vectors, progress)
            live = self._live()
            assert live is not None
            _, next_key = self._read(live)
            gone = set(replace) | {c.doc_id for c in chunks}
            if gone:
                self.client.delete(live, filter=expression(Where(doc_ids=tuple(sorted(gone)))))
            self._insert(live, chunks, vectors, next_key, progress)
            manifest.chunk_count = MilvusIndex(self.client, live, manifest, self.location).count()
            self._write_manifest(live, manifest, next_key + len(chunks))
            self.client.flush(live)
            return manifest.chunk_count
        except IndexError_:
            raise
        except Exception as e:
            raise IndexError_(f"writing to {self.location} failed ({type(e).__name__}: {_first_line(e)})",
                              "check the server and run `rag index` again: unchanged documents are kept") from None

    def _rebuild(self, manifest: Manifest, chunks: Sequence[Chunk], vectors: np.ndarray, progress: bool) -> int:
        old = self._live()
        name = f"{self.alias}_{time.strftime('%Y%m%d%H%M%S')}_{int(time.time() * 1e6) % 1_000_000:06d}"
        self._create(name, manifest.dimension)
        try:
            self._insert(name, chunks, vectors, 0, progress)
            manifest.chunk_count = len(chunks)
            self._write_manifest(name, manifest, len(chunks))
            self.client.flush(name)
            if old is None:
                self.client.create_alias(name, self.alias)
            else:
                self.client.alter_alias(name, self.alias)
        except BaseException:
            self.client.drop_collection(name)
            raise
        if old is not None:
            self.client.drop_collection(old)
        return len(chunks)

    def delete(self, doc_ids: Collection[str], manifest: Manifest, current: Any) -> int:
        """Remove the chunks of ``doc_ids``; returns the chunk count left."""
        return self.upsert(manifest, [], np.zeros((0, manifest.dimension), np.float32), current, replace=doc_ids)

    def close(self) -> None:
        """Close this store's connection (other clients of the same Milvus, Lite included, keep theirs)."""
        self.client.close()

    def drop(self) -> None:
        """Remove the index (its alias and collection)."""
        live = self._live()
        if live is not None:
            self.client.drop_alias(self.alias)
            self.client.drop_collection(live)
