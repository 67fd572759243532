"""The language rewriter: a question not written in English becomes an English question before retrieval.

MiniLM, BM25 over English stems, the prompt, verification and the calibrated score all read English, so
a Korean question is translated once and the whole English path runs on the translation; the question
as asked still goes to the multilingual space and to BM25 (Korean documents, names kept in Latin
script). The generator translates: measured on the 64 answerable Korean questions of
`tests/data/korean.jsonl`, the 1.5B's translations bring the evidence into the top 5 passages for 0.89
of them (the English parallels: 0.98; the Korean question as typed: 0.50). Names written in Hangul are
its weak point (a transliterated place becomes another), which the multilingual space and the reader,
who sees both forms, make up for in part.

Example:
    >>> from qa.models.generation import ScriptedGenerator
    >>> translator = QuestionTranslator(ScriptedGenerator(lambda messages: "When did it open?"))
    >>> translator.english("언제 열었어요?")
    'When did it open?'
    >>> translator.english("When did it open?") is None   # English already: nothing to do
    True
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Sequence

from qa.models.generation import Generator
from qa.text.korean import hangul_share, keeps_question_word
from qa.text.rules import has_hangul

TRANSLATE_SYSTEM = ("Translate the user's question from Korean into English. Keep every name, number and unit "
                    "exactly. Reply with the English question only.")
# The second pass: the sentences the first translation found, so names and terms take the documents' spelling
# (a place transliterated into Hangul is otherwise often turned into another place).
CONTEXT_SYSTEM = ("Translate the user's question from Korean into English. The question is about the texts "
                  "below: where it names something they name, use their English spelling. Keep every number "
                  "and unit exactly. Reply with the English question only.")
MAX_TOKENS = 60
MAX_HANGUL_SHARE = 0.3  # a name the model leaves in Hangul is fine; a reply mostly in Korean is no translation
CACHE_SIZE = 512  # questions; a chat's earlier turns are translated again for its follow-ups


def clean_translation(reply: str, question: str) -> str | None:
    """The model's reply as one English question, or None when it is not one: empty, still mostly
    Hangul, or far longer than the question (a reply that answers or explains instead of translating).

    >>> clean_translation('"How many GPUs?"\\nNote: ...', "GPU 몇 장?")
    'How many GPUs?'
    >>> clean_translation("정부는 몇 장?", "정부는 몇 장?") is None
    True
    >>> clean_translation("How many tokens was SK텔레콤's AX 3.1 Lite trained on?", "...")  # a name left as written
    "How many tokens was SK텔레콤's AX 3.1 Lite trained on?"
    """
    line = next((x.strip() for x in reply.strip().splitlines() if x.strip()), "")
    line = line.strip("\"'“”‘’` ")
    for prefix in ("English:", "Translation:", "Question:"):
        if line.lower().startswith(prefix.lower()):
            line = line[len(prefix):].strip()
    if not line or hangul_share(line) > MAX_HANGUL_SHARE or len(line) > 4 * len(question) + 40:
        return None
    return line


class QuestionTranslator:
    """Translates questions into English with a generator; remembers the last CACHE_SIZE translations."""

    def __init__(self, generator: Generator) -> None:
        self.generator = generator
        self._cache: OrderedDict[tuple, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def english(self, question: str, context: Sequence[str] = ()) -> str | None:
        """The English question, or None when `question` needs no translation or the model gave none (or one
        that asks something else: "어디" translated with no where-word, see `keeps_question_word`).
        `context`: English sentences the question is likely about (their names are spelt as they spell them)."""
        if not has_hangul(question):
            return None
        key = (question, tuple(context))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if context:
            texts = "\n".join(f"- {c}" for c in context)
            messages = [{"role": "system", "content": f"{CONTEXT_SYSTEM}\n\nTexts:\n{texts}"},
                        {"role": "user", "content": question}]
        else:
            messages = [{"role": "system", "content": TRANSLATE_SYSTEM}, {"role": "user", "content": question}]
        reply = "".join(self.generator.stream(messages, max_tokens=MAX_TOKENS))
        english = clean_translation(reply, question)
        if english is not None and not keeps_question_word(question, english):
            english = None  # the found sentences can pull a "where" towards the date they state
        with self._lock:
            self._cache[key] = english
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return english
