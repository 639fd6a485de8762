"""Dense embeddings with sentence-transformers, using the model's own query and document prompts."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Settings
from .errors import ModelError
from .weights import ensure_weights, is_ready, resolve_source


@dataclass(frozen=True)
class ModelIdentity:
    """What an index records about the model that made its vectors."""

    name: str
    fingerprint: str
    dimension: int  # 0 = the model's full dimension, else the Matryoshka truncation


def model_identity(settings: Settings) -> ModelIdentity:
    """Identify the configured model without loading it (cheap: used to check an index on open)."""
    name = settings.embed_model
    source = resolve_source(name)
    if source is not None:
        return ModelIdentity(source.name, source.sha256, settings.embed_dim)
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelIdentity(str(path.resolve()), _folder_fingerprint(path), settings.embed_dim)
    return ModelIdentity(name, name, settings.embed_dim)  # a hub name: the name is all we know


def _folder_fingerprint(path: Path) -> str:
    # Names and sizes of the weight and config files: cheap, and changes whenever the weights do.
    h = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in (".json", ".safetensors", ".bin", ".onnx")):
        h.update(f"{f.relative_to(path)}:{f.stat().st_size}\n".encode())
    return h.hexdigest()


class Embedder:
    """Wraps a SentenceTransformer: normalised float32 vectors for queries and documents."""

    def __init__(self, settings: Settings, progress: bool = True) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the per-tensor "Loading weights" bar is noise for users
        torch.set_num_threads(settings.threads)
        self.identity = model_identity(settings)
        self.batch_size = settings.embed_batch_size
        location = self._locate(settings, progress)
        try:
            self._model = SentenceTransformer(location, device="cpu",
                                              truncate_dim=settings.embed_dim or None)
        except Exception as e:  # sentence-transformers raises many types; all mean "cannot load"
            raise ModelError(f"cannot load embedding model {settings.embed_model!r}: {type(e).__name__}: {e}".splitlines()[0],
                             "set RAG_EMBED_MODEL to a sentence-transformers folder or name, or run `rag doctor`") from None
        self._model.eval()
        prompts = getattr(self._model, "prompts", {}) or {}
        self._query_prompt = prompts.get("query", "")
        self._document_prompt = prompts.get("document", "")
        self.dimension = int(self._model.get_embedding_dimension() if hasattr(self._model, "get_embedding_dimension")
                             else self._model.get_sentence_embedding_dimension())

    @staticmethod
    def _locate(settings: Settings, progress: bool) -> str:
        source = resolve_source(settings.embed_model)
        if source is None:
            return settings.embed_model
        if not is_ready(source, settings.cache_dir) and progress:
            print(f"First run: assembling {source.name} weights ({source.size / 1e9:.1f} GB) into "
                  f"{settings.cache_dir}", file=sys.stderr)
        return str(ensure_weights(source, settings.cache_dir, progress=progress))

    def _encode(self, texts: list[str], prompt: str, progress: bool) -> np.ndarray:
        import torch

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with torch.inference_mode():
            vecs = self._model.encode(texts, prompt=prompt or None, batch_size=self.batch_size,
                                      normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=progress and len(texts) > self.batch_size)
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for search queries (with the model's query prompt)."""
        return self._encode(texts, self._query_prompt, progress=False)

    def embed_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors for chunks (with the model's document prompt)."""
        return self._encode(texts, self._document_prompt, progress)
