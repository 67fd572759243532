"""Text to the terms BM25 indexes and searches (the lexical half of retrieval; Milvus stores the same terms).

Example:
    >>> Analyzer().terms("Robots cheer")
    ['robot', 'cheer']
"""
from __future__ import annotations

import re
import unicodedata

from qa.text.korean import korean_terms, script_runs
from qa.text.language import FUNCTION_WORDS
from qa.text.rules import has_hangul

_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_TOKEN = re.compile(r"[^\W_]+(?:\.\d+)?")


# English function words (qa/text/language.py): they carry no topic in a question.
STOPWORDS = FUNCTION_WORDS


class Analyzer:
    """Text to BM25 terms: lower case, numbers without thousands separators, English stems, no stopwords.

    >>> Analyzer().terms("Chile's copper mines produced 1,012 tonnes")
    ['chile', 'copper', 'mine', 'produc', '1012', 'tonn']
    >>> Analyzer().terms("정부가 GPU를 26만 장")
    ['정부', '부가', 'gpu', '26', '만', '장']
    """

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWord
        self._stop = STOPWORDS

    def terms(self, text: str) -> list[str]:
        text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
        text = _THOUSANDS.sub("", text)
        out = []
        for token in _TOKEN.findall(text):
            if token in self._stop:
                continue
            if has_hangul(token):
                # Korean words carry particles and endings: syllable pairs match across them
                for run in script_runs(token):
                    out += korean_terms(run) if has_hangul(run) else self.terms(run)
                continue
            if token.isalpha():
                if len(token) == 1:
                    continue
                token = self._stem(token)
            out.append(token)
        return out
