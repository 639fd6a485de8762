"""Bulk embedding on Ray Data (`rag index --ray [ADDRESS]`): chunk texts are spread over embedder
actors with ``map_batches``, one actor per GPU where the cluster has GPUs, else one per
``Settings.threads`` CPUs, and the vectors come back in the chunks' order.

On one machine Ray runs in local mode, which adds start-up time and gains nothing on 2 cores
(`rag bench store` measures both paths); across machines the rate grows with the actors. Every
worker needs the model in its cache (`rag fetch-models` on each node, or a shared
``RAG_CACHE_DIR``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import numpy as np

from .config import Settings
from .errors import ModelError

#: Texts per Ray batch: big enough to amortise the hop to the actor, small enough to keep every
#: actor busy on a few thousand chunks.
RAY_BATCH = 64


class EmbedActor:
    """A Ray actor holding one loaded embedder."""

    def __init__(self, settings: Settings) -> None:
        from .embedding import Embedder

        self.embedder = Embedder(settings, progress=False)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed_documents([str(t) for t in batch["text"]], progress=False)
        return {"i": batch["i"], "vector": np.asarray(vectors, dtype=np.float32)}


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ModelError("Ray is not installed", "install the scale extra: pip install -e '.[scale]'") from None
    return ray


def start(address: str, settings: Settings) -> dict[str, float]:
    """Connect to the Ray cluster at ``address`` or start a local instance (``""``); its resources."""
    ray = _ray()
    if not ray.is_initialized():
        try:
            # Ray's own INFO lines (start-up, execution plans) would bury the index's progress.
            quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR}
            if address:
                ray.init(address=address, **quiet)
            else:
                ray.init(num_cpus=settings.threads, **quiet)

        except Exception as e:  # ConnectionError, RuntimeError, ValueError for a bad address
            raise ModelError(f"cannot start Ray at {address or 'local'} ({type(e).__name__}: {str(e).splitlines()[0][:160]})",
                             "check the address (ray://host:10001 or host:6379), or leave it out for a local instance") from None
    return {k: float(v) for k, v in ray.cluster_resources().items()}


def embed_on_ray(texts: list[str], settings: Settings, address: str = "", progress: bool = True) -> np.ndarray:
    """Vectors of ``texts`` (in their order), embedded by actors on Ray."""
    ray = _ray()
    resources = start(address, settings)
    if not texts:
        from .embedding import Embedder

        return np.zeros((0, Embedder(settings, progress=False).dimension), np.float32)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = progress
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # configured by Ray Data on first use
    gpus = int(resources.get("GPU", 0))
    cpus = int(resources.get("CPU", 1))
    actors = gpus or max(1, cpus // max(1, settings.threads))
    # Longest first, so each batch holds texts of similar length and little padding is computed
    # (UTF-8 bytes stand in for tokens: a Han character is 3 bytes and about one token).
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i].encode("utf-8")))
    ds = ray.data.from_items([{"i": i, "text": texts[i]} for i in order], override_num_blocks=max(1, actors * 4))
    embedded = ds.map_batches(EmbedActor, fn_constructor_kwargs={"settings": settings}, batch_size=RAY_BATCH,
                              compute=ray.data.ActorPoolStrategy(size=actors), num_gpus=1 if gpus else 0,
                              num_cpus=1 if gpus else min(settings.threads, cpus))
    out: np.ndarray | None = None
    for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
        vecs = np.asarray(batch["vector"], dtype=np.float32)
        if out is None:
            out = np.zeros((len(texts), vecs.shape[1]), np.float32)
        out[np.asarray(batch["i"], dtype=np.int64)] = vecs
    if progress:
        print(f"embedded {len(texts)} chunks on Ray with {actors} actor(s)", file=sys.stderr)
    assert out is not None
    return out
