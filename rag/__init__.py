"""Bilingual (Chinese + English) retrieval-augmented Q&A.

Data flow, one module per step:
documents (``documents``) -> chunks (``chunking``) -> vectors (``embedding``) + lexical index
(``lexical``) stored on disk (``store``, built by ``indexer``) -> hybrid retrieval (``retrieval``)
-> answers with citations (``answer``) -> CLI (``cli``) / chat (``ui``) / evaluation (``evaluation``).
"""

__version__ = "0.1.0"
