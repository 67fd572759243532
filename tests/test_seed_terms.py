"""The library must not know the seed domain: no distinctive name of the seed articles in qa/."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXEMPT: set[str] = set()  # the Korean glossary is gone (issue 16): no module is exempt


def seed_terms() -> list[str]:
    lines = (ROOT / "tests" / "data" / "seed_terms.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def occurrences(text: str, terms: list[str]) -> list[str]:
    return [t for t in terms if re.search(r"(?<!\w)" + re.escape(t) + r"(?!\w)", text, re.IGNORECASE)]


def test_the_term_list_is_real():
    terms = seed_terms()
    assert len(terms) >= 30
    seeds = " ".join(p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt"))
    # every listed term comes from the seed articles, so the guard tests what it claims to
    assert not [t for t in terms if not occurrences(seeds, [t])]


def test_the_matcher_finds_whole_words_only():
    assert occurrences("a model by Upstage's team", ["Upstage"]) == ["Upstage"]
    assert occurrences("Korean text", ["Korea"]) == []


def test_no_seed_term_in_the_library():
    terms = seed_terms()
    modules = sorted((ROOT / "qa").rglob("*.py"))
    assert len(modules) > 30, "the library's modules were not found"
    found = {str(p.relative_to(ROOT)): occurrences(p.read_text(encoding="utf-8"), terms)
             for p in modules if p.name not in EXEMPT}
    assert {name: hits for name, hits in found.items() if hits} == {}
