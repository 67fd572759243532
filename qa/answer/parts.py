"""Questions that ask two things at once: each part answered on its own, the answers joined into one.

"What are the opening hours of X and how much does a loaf cost?" is split (qa/answer/questions.py
`question_parts`, the one detector of questions asking for several things), each part is asked as a question of
its own (a later part reads the earlier one as its conversation, so "and when did he finish it?" knows who
"he" is), and the answer gives each part its question and its answer, cited, or says that the documents do
not answer that part: no part is dropped without a word.

Example:
    >>> from qa.answer.events import Citation
    >>> c = Citation(1, "a.txt", "a#0", "It opens at 9 am.", 0, 17, "It opens at 9 am.", 1.0)
    >>> hours = Answer("When does it open?", "9 am [1].", False, [c], [])
    >>> price = Answer("How much is a loaf?", "The documents do not say.", True, [], [])
    >>> both = joined_answer("When does it open, and how much is a loaf?", [hours, price], "The documents do not say.")
    >>> both.text
    'When does it open? 9 am [1]. How much is a loaf? The documents do not say.'
    >>> both.refused, [p.refused for p in both.parts]
    (False, [False, True])
"""
from __future__ import annotations

import dataclasses
import re

from qa.answer.events import Answer
from qa.text.rules import MARKER, marker_numbers


def part_segment(answer: Answer, offset: int, refusal_text: str) -> str:
    """One part of the joined answer: the part's question (as it was answered), then its answer with its
    markers moved past the `offset` earlier citations, or `refusal_text`."""
    asked = answer.rewritten or answer.question
    if answer.refused:
        return f"{asked} {refusal_text}"
    return f"{asked} {renumbered(answer.text, offset)}"


def renumbered(text: str, offset: int) -> str:
    """`text` with every citation marker's numbers moved up by `offset`.

    >>> renumbered("A [1]. B [1, 2].", 2)
    'A [3]. B [3, 4].'
    """
    return MARKER.sub(lambda m: "[" + ", ".join(str(n + offset) for n in marker_numbers(m.group())) + "]", text)


def renumbered_citations(citations: list, offset: int) -> list:
    """`citations` numbered on past `offset` earlier ones (the markers' twin, `renumbered`)."""
    return [dataclasses.replace(c, n=c.n + offset) for c in citations]


def joined_answer(question: str, answers: list[Answer], refusal_text: str) -> Answer:
    """The answers of a question's parts as one `Answer`: each part's segment in turn (`part_segment`), the
    citations numbered on, the passages read by any part (once each); refused only when every part was.
    `Answer.parts` keeps each part's own answer, to be scored part by part."""
    segments, citations, passages, seen = [], [], [], set()
    for answer in answers:
        segments.append(part_segment(answer, len(citations), refusal_text))
        if not answer.refused:
            citations += renumbered_citations(answer.citations, len(citations))
        for p in answer.passages:
            if (p.source, p.chunk_id) not in seen:
                seen.add((p.source, p.chunk_id))
                passages.append(p)
    refused = all(a.refused for a in answers)
    confidences = [a.confidence for a in answers if a.confidence is not None]
    timings = {"total_s": sum(a.timings.get("total_s", 0.0) for a in answers)}
    return Answer(question, refusal_text if refused else re.sub(r"\s+", " ", " ".join(segments)).strip(), refused,
                  citations, passages, conflict=any(a.conflict for a in answers), raw="\n".join(a.raw for a in answers),
                  timings=timings, confidence=min(confidences) if confidences else None,
                  features={"parts": len(answers)}, parts=list(answers))
