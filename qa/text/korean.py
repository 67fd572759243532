"""Korean resources and the Korean frame of an answer: no word list of any corpus.

A Korean question is translated into English before retrieval (qa/answer/translation.py) and answered by the
English path; this module only presents the verified answer phrase in Korean. The phrase stays as the
supporting sentence writes it (a name in Latin script stays so; a Korean document's phrase is Korean);
figures are written as a Korean reader reads them, exactly (52,000 stays "52,000"; "10 million" becomes
"1,000만"; "10.1 trillion won" becomes "10조 1,000억 원", never a rounded "10.1조"); the counter the question
asks with ("몇 대", "몇 %") follows a bare count; and the question's own words, up to its question word,
carry the phrase ("...로봇은 30,600대입니다"). The supporting sentence stays the citation's quote.

The resources are Korean grammar, not vocabulary of a domain: question words, the particles that mark a
subject or object, counters, and the Korean names of English scale, currency and qualifier words.

Example:
    >>> korean_answer("한국에 설치된 산업용 로봇은 몇 대야?", "30,600 units")
    '한국에 설치된 산업용 로봇은 30,600대입니다.'
    >>> korean_answer("코네티컷주에서 인구가 가장 많은 지역을 뭐라고 불러요?", "the Gold Coast")
    '코네티컷주에서 인구가 가장 많은 지역은 the Gold Coast입니다.'
"""
from __future__ import annotations

import re

from qa.text.language import HANGUL_SYLLABLES, MONTHS, NUMBER_WORDS, ORDINAL_WORDS, SCALE_WORDS
from qa.text.rules import HANGUL, HANGUL_RUN

KOREAN_CONFLICT_PREFIX = "문서마다 수치가 다릅니다: "
KOREAN_REFUSAL = "문서에는 이에 대한 내용이 없습니다."
ACCORDING_TO_THE_DOCUMENTS = "문서에 따르면"

# Question words, longest first: the answer replaces the question from here on.
QUESTION_WORDS = ("얼마나", "얼마", "언제", "어디", "누구", "누가", "무엇", "무슨", "어떤", "어느", "어떻게", "왜", "뭐", "몇")
# What each question word asks, as the English question words a faithful translation holds (one of them).
ASKS_IN_ENGLISH = {"어디": ("where", "which", "what"), "언제": ("when", "what", "which", "how long"),
                   "누구": ("who", "whom", "whose", "which", "what"), "누가": ("who", "whom", "whose", "which", "what"),
                   "왜": ("why", "what", "how"), "몇": ("how", "what", "which"), "얼마": ("how", "what", "which")}
# A counter written after 몇 ("몇 대", "몇 %", "몇 퍼센트"): the unit the answer's count takes.
COUNTER = re.compile(rf"몇\s*(%|퍼센트|[{HANGUL_SYLLABLES}]{{1,2}}?)(?=[{HANGUL_SYLLABLES}]*[?？.\s]|$)")
PERCENT_WORDS = ("퍼센트", "%")
# Subject and object particles, with the topic particle that replaces each one when the question's words
# become the subject of the answer ("지역을 뭐라고" -> "지역은 ..."): after a final consonant, and after a vowel.
CASE_PARTICLES = {"을": "은", "를": "는", "이": "은", "가": "는", "은": "은", "는": "는"}
# One-syllable particles: alone (after a name in Latin script, "GPU를") they carry nothing to search for.
PARTICLES = frozenset("은 는 이 가 을 를 의 에 도 로 와 과 랑 엔".split())
CONTRACTED_THING = {"게": "건", "걸": "건"}  # 것이 / 것을, written short
# Korean names of English words that go with figures.
KOREAN_SCALES = (("조", 10 ** 12), ("억", 10 ** 8), ("만", 10 ** 4))
CURRENCIES = {"won": "원", "krw": "원", "₩": "원", "dollars": "달러", "dollar": "달러", "usd": "달러", "$": "달러",
              "euros": "유로", "euro": "유로", "eur": "유로", "€": "유로", "yen": "엔", "jpy": "엔", "¥": "엔",
              "yuan": "위안", "cny": "위안", "pounds": "파운드", "£": "파운드", "percent": "%", "%": "%"}
QUALIFIERS = {"more than": "이상", "over": "이상", "at least": "이상", "less than": "미만", "under": "미만",
              "up to": "최대", "about": "약", "approximately": "약", "around": "약", "roughly": "약",
              "nearly": "약", "almost": "약"}
_PREFIX_QUALIFIERS = ("약", "최대")
_SPACED_UNITS = frozenset(CURRENCIES.values()) - {"%"}


def hangul_share(text: str) -> float:
    """Hangul syllables among the letters (Hangul syllables and Latin letters) of `text`.

    >>> hangul_share("해솔 Haesol")
    0.25
    """
    hangul = len(HANGUL.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return round(hangul / (hangul + latin), 4) if hangul + latin else 0.0


def korean_number(value: float) -> str:
    """An amount written with 조 (10^12), 억 (10^8) and 만 (10^4), exactly: every group that is not zero.

    >>> korean_number(10_000_000), korean_number(10.1e12), korean_number(52_000), korean_number(1012)
    ('1,000만', '10조 1,000억', '5만 2,000', '1,012')
    >>> korean_number(2.5)
    '2.5'
    """
    if value != int(value) or value < 10 ** 4:
        return f"{value:,.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"
    rest, parts = int(round(value)), []
    for unit, size in KOREAN_SCALES:
        if rest >= size:
            parts.append(f"{rest // size:,}{unit}")
            rest %= size
    if rest:
        parts.append(f"{rest:,}")
    return " ".join(parts)


_AMOUNT = re.compile(
    r"(?P<qual>" + "|".join(sorted(QUALIFIERS, key=len, reverse=True)) + r")?\s*"
    r"(?P<cur>[$€£¥₩]|USD|KRW|EUR)?\s*(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<ord>st|nd|rd|th)?"
    r"(?:\s*(?P<scale>" + "|".join(SCALE_WORDS) + r")\b)?"
    r"(?:\s*(?P<unit>percent|won|KRW|USD|dollars?|euros?|yen|yuan|pounds)\b|\s*(?P<pct>%))?", re.IGNORECASE)


def _compose(number: str, unit: str, qualifier: str | None) -> str:
    """A Korean amount from its number, unit (a currency, "%", a counter or "") and qualifier: a currency
    is written apart ("10조 원"), a counter or "%" joined ("30,600대", "57.8%")."""
    text = f"{number} {unit}" if unit in _SPACED_UNITS else number + unit
    if qualifier:
        text = f"{qualifier} {text}" if qualifier in _PREFIX_QUALIFIERS else f"{text} {qualifier}"
    return text


def korean_amount(phrase: str, counter: str | None = None) -> str | None:
    """The amount `phrase` states, in Korean, when it opens with one (a qualifier, a currency, a figure
    with its scale word and unit); None otherwise. A count with no currency or percent takes `counter`
    (the one the question asks in) in place of its English noun.

    >>> korean_amount("10.1 trillion won"), korean_amount("more than 10 million subscribers", "명")
    ('10조 1,000억 원', '1,000만명 이상')
    >>> korean_amount("$5 billion"), korean_amount("52,000"), korean_amount("57.8%"), korean_amount("7,000 km")
    ('50억 달러', '52,000', '57.8%', '7,000 km')
    >>> korean_amount("the Gold Coast") is None, korean_amount("30,600 units", "대")
    (True, '30,600대')
    """
    text = phrase.strip(" .,")
    m = _AMOUNT.match(text)
    if not m or not m.group("num"):
        return None
    number = float(m.group("num").replace(",", ""))
    scale = m.group("scale")
    written = korean_number(number * SCALE_WORDS[scale.lower()]) if scale else m.group("num")
    unit = CURRENCIES.get((m.group("unit") or m.group("pct") or m.group("cur") or "").lower(), "")
    rest = text[m.end():].strip()
    qualifier = QUALIFIERS.get((m.group("qual") or "").lower())
    if m.group("ord") and counter:
        return _compose(m.group("num"), counter, qualifier)
    if not unit and counter and (not rest or re.fullmatch(r"[A-Za-z][\w-]*", rest)):
        return _compose(written, counter, qualifier)  # "30,600 units" asked "몇 대" -> 30,600대
    if rest and not unit:
        return f"{_compose(written, '', qualifier)} {rest}" if not m.group("ord") else None
    return _compose(written, unit, qualifier) if not rest else None


def korean_date(phrase: str) -> str | None:
    """An English date or year written the Korean way.

    >>> korean_date("January 22, 2026"), korean_date("March 2025"), korean_date("1987"), korean_date("soon")
    ('2026년 1월 22일', '2025년 3월', '1987년', None)
    """
    text = phrase.strip(" .,")
    m = re.fullmatch(r"(?:(?:in|on|since|by)\s+)?(?:(?P<day1>\d{1,2})\s+)?(?P<month>[A-Za-z]+)\s*(?P<day2>\d{1,2})?,?\s+"
                     r"(?P<year>\d{4})", text, re.IGNORECASE)
    if m and m.group("month").lower() in MONTHS:
        month = MONTHS.index(m.group("month").lower()) + 1
        day = m.group("day1") or m.group("day2")
        return f"{m.group('year')}년 {month}월" + (f" {int(day)}일" if day else "")
    m = re.fullmatch(r"(?:(?:in|on|since|by)\s+)?(\d{4})", text, re.IGNORECASE)
    return f"{m.group(1)}년" if m else None


def question_word(question: str) -> tuple[str, int] | None:
    """The question word of a Korean question and where it starts; None when it has none.

    >>> question_word("발트해가 마지막으로 얼어붙은 게 언제예요?")
    ('언제', 18)
    """
    best = None
    for word in QUESTION_WORDS:
        for m in re.finditer(re.escape(word), question):
            # a question word starts a word (after a space or the start), or is the whole question's head
            if m.start() == 0 or not HANGUL.match(question[m.start() - 1]):
                if best is None or m.start() < best[1] or (m.start() == best[1] and len(word) > len(best[0])):
                    best = (word, m.start())
                break
    return best


def keeps_question_word(korean: str, english: str) -> bool:
    """False when a translation asks something else than the Korean question ("어디서" translated "When...").

    >>> keeps_question_word("발표회는 어디서 열렸어?", "When was the showcase held?")
    False
    >>> keeps_question_word("발표회는 어디서 열렸어?", "Where was the showcase held?")
    True
    >>> keeps_question_word("발표회 열렸어?", "Was the showcase held?")   # no question word: nothing to keep
    True
    """
    found = question_word(korean)
    expected = ASKS_IN_ENGLISH.get(found[0]) if found else None
    if not expected:
        return True
    words = set(re.findall(r"[a-z]+", english.lower()))
    return any(all(w in words for w in phrase.split()) for phrase in expected)


def question_stem(question: str) -> str:
    """The question's words before its question word, as the subject of the answer: the last word's
    subject or object particle becomes the topic particle.

    >>> question_stem("코네티컷주에서 인구가 가장 많은 지역을 뭐라고 불러요?")
    '코네티컷주에서 인구가 가장 많은 지역은'
    >>> question_stem("발트해가 마지막으로 얼어붙은 게 언제예요?")
    '발트해가 마지막으로 얼어붙은 건'
    >>> question_stem("언제 시작됐어요?")
    ''
    """
    found = question_word(question)
    stem = (question[:found[1]] if found else question.rstrip("?？ ")).strip()
    words = stem.split()
    if not words:
        return ""
    last = words[-1]
    if last in CONTRACTED_THING:
        words[-1] = CONTRACTED_THING[last]
    elif len(last) > 1 and last[-1] in CASE_PARTICLES and HANGUL.match(last[-2]):
        words[-1] = last[:-1] + CASE_PARTICLES[last[-1]]
    return " ".join(words)


def counter_of(question: str) -> str | None:
    """The counter a "몇" question asks in ("몇 대야?" -> "대"; "몇 %" and "몇 퍼센트" -> "%").

    >>> counter_of("로봇은 몇 대야?"), counter_of("도입률은 몇 퍼센트예요?"), counter_of("몇 명이에요?"), counter_of("언제야?")
    ('대', '%', '명', None)
    """
    m = COUNTER.search(question)
    if not m:
        return None
    word = m.group(1)
    return "%" if word in PERCENT_WORDS else word


def korean_value(question: str, phrase: str) -> str:
    """The answer phrase as a Korean reader reads it: an amount or date rewritten, a count with the
    question's counter, a rank word as a number; anything else as the document writes it.

    >>> korean_value("몇 위야?", "third"), korean_value("몇 대야?", "30,600 units"), korean_value("어디야?", "Arden Hall")
    ('3위', '30,600대', 'Arden Hall')
    >>> korean_value("언제 열렸어?", "January 22, 2026"), korean_value("몇 위야?", "18th")
    ('2026년 1월 22일', '18위')
    >>> korean_value("얼마예요?", "1,240억 원")
    '1,240억 원'

    """
    if HANGUL.search(phrase):
        return phrase.strip(" .")  # Korean already: a Korean document's own words
    found = question_word(question)
    asks = found[0] if found else ""
    counter = counter_of(question) if asks == "몇" else None
    words = phrase.strip(" .").lower()
    if counter and (words in NUMBER_WORDS or words in ORDINAL_WORDS):
        return f"{NUMBER_WORDS.get(words, ORDINAL_WORDS.get(words))}{counter}"
    date = korean_date(phrase)
    if date and asks in ("언제", ""):
        return date
    amount = korean_amount(phrase, counter)
    return amount if amount is not None else phrase.strip(" .")


def korean_answer(question: str, phrase: str) -> str:
    """A Korean sentence that answers `question` with the verified `phrase`: the question's words, then
    the value; "according to the documents" leads when that is all the Korean there would be.

    >>> korean_answer("정부 예산은 얼마예요?", "10.1 trillion won")
    '정부 예산은 10조 1,000억 원입니다.'
    >>> korean_answer("누가 발표했어?", "Mira Tollen")
    '문서에 따르면, 「누가 발표했어」의 답은 Mira Tollen입니다.'
    """
    value = korean_value(question, phrase)
    stem = question_stem(question)
    sentence = f"{stem} {value}입니다." if stem else f"{ACCORDING_TO_THE_DOCUMENTS} {value}입니다."
    if hangul_share(sentence) < 0.5:
        # a long name in Latin script: the question itself says what the name answers
        sentence = f"{ACCORDING_TO_THE_DOCUMENTS}, 「{question.strip().rstrip('?？')}」의 답은 {value}입니다."
    return sentence


def korean_statement(question: str, statement: tuple) -> tuple:
    """A verified statement (text, supporting sentence) presented in Korean; the sentence stays the quote."""
    text, sentence = statement
    return korean_answer(question, text), sentence


def korean_refusal() -> str:
    """The refusal, in Korean."""
    return KOREAN_REFUSAL


def script_runs(token: str) -> list[str]:
    """A word cut where it passes between Hangul and other letters or digits ("GPU를" -> "GPU", "를").

    >>> script_runs("GPU를"), script_runs("26만"), script_runs("robots")
    (['GPU', '를'], ['26', '만'], ['robots'])
    """
    return re.findall(f"{HANGUL_RUN.pattern}|[^{HANGUL_SYLLABLES}]+", token)


def korean_terms(run: str) -> list[str]:
    """Lexical terms of a run of Hangul syllables: its overlapping syllable pairs, so a word matches
    whatever particle or ending follows it ("정부가" and "정부는" share "정부"); a lone syllable is itself.

    >>> korean_terms("정부가"), korean_terms("만"), korean_terms("를")
    (['정부', '부가'], ['만'], [])
    """
    if len(run) < 2:
        return [] if run in PARTICLES else [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]
