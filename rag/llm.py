"""Generative answerers: a local GGUF model through llama-cpp-python, or any OpenAI-compatible endpoint.

Whether to answer: the local model's answer prompt is evaluated once and the probability that the
answer begins with NOT_FOUND decides (``refusal_probability``); the answer then streams from that
evaluated prompt. An endpoint, which returns no logits here, is asked a separate YES/NO question
(``answerable``) before it answers.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from typing import Any, Iterator

from .config import Settings
from .errors import ModelError
from .evidence import Evidence
from .prompts import ANSWER_PROMPT, CHECK_PROMPT, CHECK_SYSTEM, NOT_FOUND, SYSTEM, RETRY_TRANSLATION, TRANSLATE_SYSTEM, translate_message, user_message
from .records import Language
from .weights import ensure_weights, resolve_source

STOP = ["\n\n", "\nQuestion:", "\nSources:", "Example "]

History = list[tuple[str, str]]
_ANSWER_LABEL = re.compile(r"^Answer(?: in (?:English|Simplified Chinese))?:\s*")


class ChatAnswerer:
    """Prompting shared by the local and HTTP answerers; subclasses provide ``_chat``."""

    name = "chat"
    max_tokens = 160
    #: A statement of the bundled corpus renders in 40–90 Chinese tokens; a longer one is cut off and
    #: then fails the checks (a figure or the similarity is missing), so it has no rendering.
    translate_tokens = 200

    def _chat(self, messages: list[dict[str, str]], max_tokens: int, yes_no: bool = False,
              ban_refusal: bool = False, aside: bool = False) -> Iterator[str]:
        """Stream a greedy completion. ``yes_no`` constrains it to YES or NO; ``ban_refusal`` rules
        out NOT_FOUND as its start; ``aside`` marks work beside answering (a rendering), which a
        local model does in the context that does not hold the answer prompt."""
        raise NotImplementedError

    @staticmethod
    def _messages(question: str, language: Language, evidence: list[Evidence],
                  history: History | None = None, notes: list[str] | None = None) -> list[dict[str, str]]:
        return [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": user_message(question, language, evidence, history, notes)}]

    def answerable(self, question: str, language: Language, evidence: list[Evidence],
                   history: History | None = None) -> bool:
        """The model's judgement whether the sources state the asked-for fact (greedy YES/NO)."""
        # Its own prompt and llama.cpp context. Asked on the answer prompt's prefix instead (so the
        # sources are evaluated once for both), first token came ~2 s sooner but, with the check's
        # examples in the shared system prompt, 17% of the gold set's answerable questions were
        # refused instead of 11%, and fully correct fell from 0.63 to 0.52 on the tune split.
        messages = [{"role": "system", "content": CHECK_SYSTEM},
                    {"role": "user", "content": user_message(question, language, evidence, history) + "\n" + CHECK_PROMPT}]
        reply = "".join(self._chat(messages, 3, yes_no=True))
        return not reply.strip().upper().startswith("NO")

    def translate(self, text: str, target: str, terms: list[str], figures: list[str],
                  problems: list[str] | None = None) -> str:
        """``text`` written in ``target`` (``zh``/``en``), greedy; see ``rendering``."""
        system = TRANSLATE_SYSTEM[target]
        if problems:  # in the instruction, not as a labelled input line: the model echoed such lines
            system += "\n" + RETRY_TRANSLATION[target].format(problems="; ".join(problems))
        messages = [{"role": "system", "content": system},
                    {"role": "user", "content": translate_message(text, target, terms, figures)}]
        return "".join(self._chat(messages, self.translate_tokens, aside=True))

    def _answer_messages(self, question: str, language: Language, evidence: list[Evidence],
                         history: History | None = None, notes: list[str] | None = None) -> list[dict[str, str]]:
        messages = self._messages(question, language, evidence, history, notes)
        messages[-1]["content"] += "\n" + ANSWER_PROMPT["zh" if language.dominant == "zh" else "en"]
        return messages

    def generate(self, question: str, language: Language, evidence: list[Evidence],
                 history: History | None = None, notes: list[str] | None = None,
                 may_refuse: bool = True) -> Iterator[str]:
        """Stream the answer; ``[n]`` refers to ``evidence[n-1]``. ``may_refuse=False`` (the decision
        to answer was already taken) keeps the local model from beginning with NOT_FOUND; an endpoint
        ignores it."""
        messages = self._answer_messages(question, language, evidence, history, notes)
        started = False
        for piece in self._chat(messages, self.max_tokens, ban_refusal=not may_refuse):
            if not started:  # the model sometimes echoes an "Answer …:" label
                piece = _ANSWER_LABEL.sub("", piece.lstrip(), count=1)
                if not piece:
                    continue
                started = True
            yield piece


class LocalLLMAnswerer(ChatAnswerer):
    """Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) by default, greedy decoding, streamed."""

    name = "llm"

    def __init__(self, settings: Settings, progress: bool = True) -> None:
        try:
            from llama_cpp import Llama, LlamaGrammar
        except ImportError:
            raise ModelError("llama-cpp-python is not installed",
                             "run `make install` (it builds it for this CPU), or use --answerer extractive") from None
        source = resolve_source(settings.llm_model)
        path = str(ensure_weights(source, settings.cache_dir, progress=progress)) if source else settings.llm_model
        try:
            # Two llama.cpp instances, so the answer prompt and the per-statement judgement
            # (``support``) each keep their own prefix cached. Both map the same file: the page
            # cache holds the weights once, though resident-memory figures count them twice; each
            # adds ~0.7 GB of context and buffers.
            self._llm = Llama(model_path=path, n_ctx=settings.llm_context, n_threads=settings.threads,
                              n_batch=256, seed=0, verbose=False)
            self._checker = Llama(model_path=path, n_ctx=settings.llm_context, n_threads=settings.threads,
                                  n_batch=256, seed=0, verbose=False)
        except (ValueError, OSError, RuntimeError) as e:
            raise ModelError(f"cannot load the local model {settings.llm_model!r}: {e}",
                             "check RAG_LLM_MODEL (a pinned name or a .gguf path) or run `rag doctor`") from None
        self._yes_no = LlamaGrammar.from_string('root ::= "YES" | "NO"', verbose=False)
        self._template = _chat_formatter(self._checker)
        self._yes_token, self._no_token = (self._checker.tokenize(w, add_bos=False)[0] for w in (b"YES", b"NO"))
        #: NOT_FOUND's first token: its probability as the answer's first token is the refusal signal.
        self._refusal_token = self._llm.tokenize(NOT_FOUND.encode(), add_bos=False)[0]
        self.max_tokens = settings.llm_max_tokens
        self.model = settings.llm_model  # a rendering's provenance
        # A llama.cpp context serves one generation at a time; the chat runs several sessions at once.
        self._locks = {id(self._llm): threading.Lock(), id(self._checker): threading.Lock()}

    def support(self, question: str, language: Language, evidence: list[Evidence],
                history: History | None = None) -> list[float] | None:
        """For each statement, the model's confidence that it alone states the answer: the YES−NO
        logit of the check prompt given that one source. ``None`` when the GGUF has no chat template.

        Measured on the gold set's close candidates, this picks the answering statement where cosine
        does not ("哪个部门将推动经开区优化营商环境的创新实践？": the work-plan statement 0.574, the
        market regulator's 0.566; the model 0.7 against 1.2). Asking the model to name the best source
        number instead picked worse than cosine (14 of 29). The logits are read straight from
        llama.cpp because its completion API returns log-probabilities only when every position's
        logits are kept (``logits_all``, about 1.2 GB more for this context and vocabulary).
        """
        if self._template is None:
            return None
        llm, scores = self._checker, []
        with self._locks[id(llm)]:
            for e in evidence:
                messages = [{"role": "system", "content": CHECK_SYSTEM},
                            {"role": "user", "content": user_message(question, language, [e], history) + "\n" + CHECK_PROMPT}]
                logits = self._next_token_logits(llm, messages)
                scores.append(float(logits[self._yes_token] - logits[self._no_token]))
        return scores

    def refusal_probability(self, question: str, language: Language, evidence: list[Evidence],
                            history: History | None = None) -> float | None:
        """The probability that the answer begins with NOT_FOUND, read from the answer prompt's
        next-token distribution. The prompt stays evaluated in the answer's llama.cpp context, so
        ``generate`` on the same arguments starts at once. ``None`` when the GGUF has no chat template.

        This replaced a separate YES/NO prompt (its own evaluation of the sources, ~2.5 s on 2 cores):
        on the gold set's 121 question parts the YES/NO check added one refused unanswerable part
        (of 14) to what the answer's own NOT_FOUND refused, and a threshold on this probability
        sets the balance between false refusals and refusals (``Settings.llm_refuse_above``).
        """
        if self._template is None:
            return None
        import numpy as np

        llm = self._llm
        with self._locks[id(llm)]:
            logits = np.ctypeslib.as_array(
                self._next_token_logits(llm, self._answer_messages(question, language, evidence, history)),
                shape=(llm.n_vocab(),))
            top = float(logits.max())
            return float(np.exp(logits[self._refusal_token] - top) / np.exp(logits - top).sum())

    def warm_up(self) -> float:
        """Evaluate the system prompts (the answer's and the support check's) now, so the first
        question does not pay for them; returns the seconds it took. A question's prompt shares
        that prefix, which llama.cpp then reuses. Measured on 2 cores, the chat's first answer began
        after 12.8 s without it and 4.4 s with it. A rendering evicts the support check's (renderings
        run in its context)."""
        if self._template is None:
            return 0.0
        t0 = time.perf_counter()
        for llm, system in ((self._llm, SYSTEM), (self._checker, CHECK_SYSTEM)):
            with self._locks[id(llm)]:
                self._next_token_logits(llm, [{"role": "system", "content": system}, {"role": "user", "content": ""}])
        return time.perf_counter() - t0

    def _next_token_logits(self, llm: Any, messages: list[dict[str, str]]) -> Any:
        """Evaluate a chat prompt (reusing the longest prefix already evaluated in ``llm``) and return
        the logits of the token after it. The caller holds ``llm``'s lock."""
        import llama_cpp

        prompt = self._template(messages=messages).prompt
        tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        if len(tokens) >= llm.n_ctx():
            raise ModelError("the prompt does not fit the local model's context",
                             "ask a shorter question, or raise RAG_LLM_CONTEXT")
        # At least the last token is evaluated so that its logits exist.
        keep = min(llm.longest_token_prefix(llm._input_ids, tokens), len(tokens) - 1)
        llm.n_tokens = keep
        llm.eval(tokens[keep:])
        return llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)

    def _chat(self, messages: list[dict[str, str]], max_tokens: int, yes_no: bool = False,
              ban_refusal: bool = False, aside: bool = False) -> Iterator[str]:
        # A rendering in the answer's context evicted the answer's cached system prompt (and, for a
        # statement rendered at question time, the sources just evaluated for the NOT_FOUND
        # probability); the support check's context is used less and its prompt is short.
        llm = self._checker if yes_no or aside else self._llm
        with self._locks[id(llm)]:
            try:
                stream = llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=max_tokens,
                                                    stop=STOP, stream=True, grammar=self._yes_no if yes_no else None,
                                                    logit_bias={self._refusal_token: -100.0} if ban_refusal else None)
                for chunk in stream:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            except ValueError as e:  # llama-cpp raises ValueError when the prompt exceeds the context
                raise ModelError(f"the prompt does not fit the local model's context ({e})".splitlines()[0],
                                 "ask a shorter question, or raise RAG_LLM_CONTEXT") from None


def _chat_formatter(llm: Any) -> Any:
    """The GGUF's own chat template as a formatter (the one ``create_chat_completion`` uses), or ``None``."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    model = llm._model
    eos, bos = model.token_eos(), model.token_bos()
    return Jinja2ChatFormatter(template=template, eos_token=model.token_get_text(eos) if eos != -1 else "",
                               bos_token=model.token_get_text(bos) if bos != -1 else "")


class HTTPAnswerer(ChatAnswerer):
    """Any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, hosted APIs)."""

    name = "http"

    def __init__(self, settings: Settings) -> None:
        if not settings.llm_url:
            raise ModelError("no endpoint configured for the http answerer",
                             "set RAG_LLM_URL (e.g. http://127.0.0.1:8000/v1) and RAG_LLM_MODEL")
        self.url = settings.llm_url.rstrip("/") + "/chat/completions"
        self.model = settings.llm_model
        self.key = settings.llm_api_key
        self.max_tokens = settings.llm_max_tokens
        self.timeout = settings.llm_timeout

    def _chat(self, messages: list[dict[str, str]], max_tokens: int, yes_no: bool = False,
              ban_refusal: bool = False, aside: bool = False) -> Iterator[str]:
        import httpx

        body: dict[str, Any] = {"model": self.model, "temperature": 0, "max_tokens": max_tokens,
                                "stop": STOP, "stream": True, "messages": messages}
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        try:
            with httpx.stream("POST", self.url, json=body, headers=headers, timeout=self.timeout) as r:
                if r.status_code != 200:
                    r.read()
                    raise ModelError(f"the endpoint {self.url} answered HTTP {r.status_code}: {r.text[:200]}",
                                     "check RAG_LLM_URL, RAG_LLM_MODEL and RAG_LLM_API_KEY")
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        piece = (json.loads(data)["choices"][0].get("delta") or {}).get("content")
                    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                        print(f"warning: skipped a malformed stream event from {self.url}", file=sys.stderr)
                        continue
                    if piece:
                        yield piece
        except httpx.HTTPError as e:
            raise ModelError(f"cannot reach {self.url} ({type(e).__name__})",
                             "start the server or fix RAG_LLM_URL; --answerer extractive works offline") from None
