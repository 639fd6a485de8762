"""Lexical index: BM25 (bm25s) over jieba-segmented Chinese and lower-cased English word tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .language import quiet_jieba

if TYPE_CHECKING:
    import numpy as np

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[.,][0-9]+)*%?", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_STOP = frozenset("""a an and are as at be by for from has have in is it its of on or that the this to was were
will with what which who whom when where how why did does do many much there their than into about""".split())
_ZH_STOP = frozenset("的 了 是 在 和 与 及 有 多少 什么 吗 呢 哪些 哪个 怎么 如何 为 对 中 年 等 将 也 都 被 把".split())
#: Words left out of BM25 in both languages (shared with the Milvus store's analyzer).
STOP_WORDS = _EN_STOP | _ZH_STOP


def tokenize(text: str) -> list[str]:
    """Tokens for BM25: jieba search-mode words for Chinese runs, word tokens for the rest."""
    jieba = quiet_jieba()
    tokens: list[str] = []
    for run in _TOKEN.findall(text.lower()):
        if _HAN.match(run):
            tokens.extend(t for t in jieba.lcut_for_search(run) if t.strip() and t not in _ZH_STOP)
        elif run not in _EN_STOP:
            tokens.append(run)
    return tokens


class LexicalIndex:
    """A BM25 index over chunk texts, addressed by position (the same order as the vector index)."""

    def __init__(self, model: "object | None", size: int) -> None:
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> "LexicalIndex":
        import bm25s

        if not texts:
            return cls(None, 0)
        model = bm25s.BM25()
        # A chunk with no tokens still needs a row so positions stay aligned with the vectors.
        model.index([tokenize(t) or ["\u2205"] for t in texts], show_progress=False)
        return cls(model, len(texts))

    def search(self, query: str, k: int, mask: "np.ndarray | None" = None) -> list[tuple[int, float]]:
        """Top ``k`` (position, score) pairs with a positive score; ``mask`` (1/0 per position)
        leaves positions out."""
        tokens = tokenize(query)
        if self._model is None or not tokens or self.size == 0:
            return []
        docs, scores = self._model.retrieve([tokens], k=min(k, self.size), show_progress=False, n_threads=1,
                                            weight_mask=mask)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder))

    @classmethod
    def load(cls, folder: Path, size: int) -> "LexicalIndex":
        import bm25s

        if size == 0:
            return cls(None, 0)
        return cls(bm25s.BM25.load(str(folder), mmap=False), size)

