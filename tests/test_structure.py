"""Structure that can be checked from the source alone: no import circle in qa/, the judge independent of
what it judges, rewriters independent of answering, answering reading documents through the store, and
one home for the shared text rules."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa"
ANSWERING = {"answer", "evidence", "prompt", "verification", "composition", "conflicts", "questions"}


def imports_of(path: Path) -> set[str]:
    """The qa modules a file imports, at any depth (function-level imports included)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split(".")[0])
            elif node.level == 1:
                out.update(alias.name for alias in node.names)
            elif node.module and node.module.split(".")[0] == "qa":
                parts = node.module.split(".")
                out.update([parts[1]] if len(parts) > 1 else [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            out.update(a.name.split(".")[1] for a in node.names if a.name.startswith("qa."))
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return out & modules


def graph() -> dict[str, set[str]]:
    return {p.stem: imports_of(p) - {p.stem} for p in PACKAGE.glob("*.py")}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle_in_qa():
    edges = graph()
    assert edges["answer"] >= {"evidence", "verification", "composition", "prompt"}  # the reader sees real imports
    assert find_cycle(edges) is None


def test_the_scorer_imports_nothing_of_qa():
    assert graph()["scoring"] == set()


def test_rewriters_need_nothing_of_answering():
    edges = graph()
    for rewriter in ("followups", "translation", "korean"):
        assert not edges[rewriter] & ANSWERING, rewriter


def test_answering_reads_documents_through_the_store():
    edges = graph()
    for module in ANSWERING:
        assert not edges[module] & {"chunking", "documents", "indexing"}, module


def test_shared_text_rules_have_one_home():
    marker = re.compile(r"\\\[\(?\\d|\\\[\\s\*\\d")  # a regex source matching "[<digit>"
    hangul = re.compile(r"\\uac00|가-힣")
    homes = {"text.py", "language.py", "scoring.py"}  # scoring keeps its own: the judge shares no code
    sources = [p for p in PACKAGE.glob("*.py") if p.name not in homes] + [ROOT / "ui.py"]
    assert [p.name for p in sources if marker.search(p.read_text(encoding="utf-8"))] == []
    assert [p.name for p in sources if hangul.search(p.read_text(encoding="utf-8"))] == []
