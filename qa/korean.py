"""Korean questions over English documents: a lexical bridge in, a Korean frame out.

all-MiniLM-L6-v2 is English-only and BM25 over English never matches Hangul, and the 0.5B model
garbles translations (measured). So, in: the Korean question becomes English search terms through a
bilingual glossary of the domain (AI, industry, government, numbers, question words), plus the numbers
and Latin-script names it already holds (2028, GPU, Adot, COEX) -- strong handles. Out: the verified
English sentence stays the citation; the answer's value (a figure, a place, a date, a name) is taken
from that sentence and framed in Korean, the figure written the Korean way (10 million -> 1,000만), so
the facts stay exact.

Example:
    >>> english_query("국가 AI 모델 프로젝트 첫 발표회는 어디서 열렸어?")
    'national AI model project first presentation showcase where held'
"""
from __future__ import annotations

import re

from .text import HANGUL, HANGUL_RUN, figures

# Words of the Korean answer frames.
KOREAN_CONFLICT_PREFIX = "문서마다 수치가 다릅니다: "
_ACCORDING_TO_THE_DOCUMENTS = "문서에 따르면"

# Korean word stems -> English search terms. Longest stem wins; particles are ignored after a match.
GLOSSARY = {
    # question words
    "어디": "where", "언제": "when", "누가": "who", "누구": "who", "무엇": "what", "뭐": "what", "무슨": "what",
    "어떤": "which", "어느": "which", "얼마나": "how much", "얼마": "how much", "몇": "how many", "왜": "why",
    # places, organisations, names of the domain
    "한국": "Korea", "대한민국": "South Korea", "남한": "South Korea", "서울": "Seoul", "미국": "United States US",
    "중국": "China", "일본": "Japan", "유럽": "Europe", "코엑스": "COEX", "스탠퍼드": "Stanford", "스탠포드": "Stanford",
    "에이닷": "Adot", "삼성": "Samsung", "네이버": "Naver", "카카오": "Kakao", "엘지": "LG", "업스테이지": "Upstage",
    "엔비디아": "Nvidia", "에스케이": "SK", "텔레콤": "Telecom", "하이퍼클로바": "HyperCLOVA", "엑사원": "Exaone",
    "가우스": "Gauss", "솔라": "Solar", "포스코": "POSCO", "서울대": "Seoul National University",
    "서울대병원": "Seoul National University Hospital", "과기정통부": "Ministry of Science and ICT",
    "과학기술정보통신부": "Ministry of Science and ICT", "식약처": "Ministry of Food and Drug Safety",
    # the AI industry
    "인공지능": "AI artificial intelligence", "모델": "model", "언어모델": "language model", "거대언어모델": "LLM",
    "파운데이션": "foundation", "소버린": "sovereign", "주권": "sovereign", "국가": "national", "정부": "government",
    "프로젝트": "project", "사업": "project program", "발표회": "presentation showcase", "발표": "presentation announced",
    "공개": "unveiled released", "출시": "launched released", "개발": "developed development", "평가": "evaluation",
    "단계": "stage", "팀": "teams", "컨소시엄": "consortia consortium", "기업": "companies", "회사": "company",
    "스타트업": "startups", "서비스": "service", "가입자": "subscribers", "사용자": "users", "이용자": "users",
    "매개변수": "parameters", "파라미터": "parameters", "토큰": "tokens", "데이터": "data", "학습": "trained training",
    "오픈소스": "open source", "반도체": "semiconductors chips", "메모리": "memory", "칩": "chips",
    "로봇": "robots", "밀도": "density", "설치": "installations", "산업": "industry industrial", "제조": "manufacturing",
    "특허": "patent", "출원": "applications", "인덱스": "Index", "지수": "index", "보고서": "report", "순위": "ranking rank",
    "위": "rank", "도입률": "adoption rate", "도입": "adoption", "채택": "adoption", "활용": "use adoption",
    "예산": "budget", "투자": "investment invest", "조원": "trillion won", "억원": "billion won", "달러": "dollars USD",
    "시장": "market", "규모": "size", "성장": "growth", "연구": "research", "인재": "talent specialists",
    "교육": "education", "의료": "medical healthcare", "병원": "hospital", "진료": "clinical", "기록": "records",
    "법": "Act law", "기본법": "Basic Act", "규제": "regulation", "벌금": "fines penalties", "과징금": "fines",
    "전력": "electricity power", "데이터센터": "data centers", "클라우드": "cloud", "확보": "secure procure",
    "구매": "procure purchase", "공급": "supply", "계획": "plans", "목표": "goal target", "수출": "export",
    "첫": "first", "처음": "first", "최초": "first", "열렸": "held", "열린": "held", "개최": "held",
    "참석": "attended", "명": "people", "장": "units", "개": "units", "년": "year", "월": "month",
}
_PARTICLES = re.compile(r"(은|는|이|가|을|를|의|에|에서|로|으로|와|과|도|만|까지|부터|이다|인가요|인가|입니까|"
                        r"니까|나요|가요|야|요|이야|인지|하는|했던|했나요|됐나요|되었나요|정도|쯤)+$")
_INTERROGATIVE = re.compile(r"(몇|어디|언제|누가|누구|무엇|뭐|무슨|어떤|어느|얼마)")


def is_korean(text: str) -> bool:
    """True when a question is written in Korean (it holds Hangul)."""
    return bool(HANGUL.search(text))


def english_query(question: str) -> str:
    """English search terms for a Korean question: glossary terms plus its Latin-script words and numbers."""
    out: list[str] = []
    for token in re.findall(HANGUL_RUN.pattern + r"|[A-Za-z0-9](?:[A-Za-z0-9.&'-]*[A-Za-z0-9])?", question):
        if not HANGUL.search(token):
            out.append(token)
            continue
        word = token
        while word:
            match = next((word[:n] for n in range(len(word), 0, -1) if word[:n] in GLOSSARY), None)
            if match is None:
                stripped = _PARTICLES.sub("", word)
                if stripped != word and stripped:
                    word = stripped
                    continue
                word = word[1:]  # skip a syllable we cannot read
                continue
            out.append(GLOSSARY[match])
            word = word[len(match):]
            word = "" if _PARTICLES.fullmatch(word or "x") else word
    terms = " ".join(out).split()
    return " ".join(dict.fromkeys(terms))


# --- the answer, framed in Korean --------------------------------------------------------------------

_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_FIGURE_PHRASE = re.compile(
    r"(?P<qual>more than|over|about|approximately|around|nearly|almost|up to|at least)?\s*"
    r"(?P<cur>[$₩€]|USD|KRW)?\s*(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<ord>st|nd|rd|th)?"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion))?(?:\s*(?P<unit>%|percent|won|dollars|USD|KRW|"
    r"[A-Za-z][\w-]*))?", re.IGNORECASE)
_QUALIFIERS = {"more than": "이상", "over": "이상", "at least": "이상", "about": "약", "approximately": "약",
               "around": "약", "nearly": "거의", "almost": "거의", "up to": "최대"}
_UNITS = {"subscribers": "명", "users": "명", "people": "명", "workers": "명", "employees": "명", "specialists": "명",
          "won": "원", "krw": "원", "percent": "%", "%": "%", "dollars": "달러", "usd": "달러", "teams": "팀",
          "units": "대", "robots": "대", "gpus": "장", "parameters": "개 매개변수", "applications": "건",
          "records": "건", "models": "개 모델", "spots": "계단", "places": "계단", "months": "개월", "years": "년"}


def korean_number(value: float) -> str:
    """A number written with the Korean units 만 (10^4), 억 (10^8) and 조 (10^12).

    >>> korean_number(10_000_000), korean_number(10.1e12), korean_number(1012)
    ('1,000만', '10.1조', '1,012')
    """
    for unit, size in (("조", 1e12), ("억", 1e8), ("만", 1e4)):
        if value >= size:
            q = value / size
            text = f"{q:,.2f}".rstrip("0").rstrip(".") if q != int(q) else f"{int(q):,}"
            return text + unit
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value):,}"


def korean_figure(sentence: str, exclude: set[float]) -> str | None:
    """The first figure of `sentence` not in `exclude` (nor a year), written the Korean way with its
    qualifier and unit: "more than 10 million subscribers" -> "1,000만 명 이상"."""
    for m in _FIGURE_PHRASE.finditer(sentence):
        base = float(m.group("num").replace(",", ""))
        if base in exclude or (1900 <= base <= 2100 and not m.group("scale") and not m.group("ord")):
            continue
        value = base * _SCALES.get((m.group("scale") or "").lower(), 1)
        number = f"{m.group('num')}위" if m.group("ord") else korean_number(value)
        currency = {"$": "달러", "usd": "달러", "₩": "원", "krw": "원", "€": "유로"}.get((m.group("cur") or "").lower())
        unit = _UNITS.get((m.group("unit") or "").lower(), currency or "")
        qualifier = _QUALIFIERS.get((m.group("qual") or "").lower())
        text = f"{number}{'' if unit in ('%', '') or unit.startswith('개') else ' '}{unit}".strip()
        if qualifier == "약":
            return f"약 {text}"
        return f"{text} {qualifier}" if qualifier else text
    return None


def question_stem(question: str) -> str:
    """The Korean question up to its interrogative word: what the answer completes."""
    m = _INTERROGATIVE.search(question)
    stem = question[:m.start()] if m else question.rstrip("?？ ")
    return stem.strip()


def korean_answer(question: str, english_question: str, sentence: str) -> str | None:
    """A Korean sentence that answers `question` with the value found in the English `sentence`."""
    asks = _INTERROGATIVE.search(question)
    kind = asks.group(1) if asks else ""
    value = None
    if kind in ("몇", "얼마"):
        value = korean_figure(sentence, figures(question))
    elif kind in ("어디", "누가", "누구", "어느", "어떤", "무엇", "뭐", "무슨"):
        new = [n for n in re.findall(r"\b[A-Z][\w.&-]*(?:\s+[A-Z][\w.&-]*)*", sentence)
               if n.lower() not in english_question.lower() and n.lower() not in question.lower()
               and n not in ("The", "A", "An", "It", "This", "In", "On", "At")]
        at = re.search(r"\b(?:at|in)\s+((?:the\s+)?[A-Z][\w.&-]*(?:\s+(?:in\s+)?[A-Z][\w.&-]*)*)", sentence)
        value = (at.group(1).split(" in ")[0] if kind == "어디" and at else (new[0] if new else None))
        value = value.strip(" .,;") if value else None
    elif kind == "언제":
        date = re.search(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                         r"December)\s+\d{1,2},\s+\d{4}|\b(?:19|20)\d\d\b", sentence)
        value = date.group() if date else None
    if not value:
        return None
    stem = question_stem(question)
    return (f"{_ACCORDING_TO_THE_DOCUMENTS} {stem} {value}입니다." if stem
            else f"{_ACCORDING_TO_THE_DOCUMENTS} {value}입니다.")


def korean_statement(question: str, english_question: str, statement: tuple) -> tuple:
    """A verified statement (text, supporting sentence) presented in Korean: the value framed by
    `korean_answer`, or else the English text after "according to the documents"."""
    text, sentence = statement
    framed = korean_answer(question, english_question, sentence.text)
    return (framed, sentence) if framed else (f"{_ACCORDING_TO_THE_DOCUMENTS}: {text}", sentence)


def korean_refusal() -> str:
    """The refusal, in Korean."""
    return "문서에는 이에 대한 내용이 없습니다."

