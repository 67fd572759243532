"""Structure that can be checked from the source alone: qa/ laid out as the data flows, each stage package
importing only those below it (a wrong import fails naming the rule), no import circle, the judge
independent of what it judges, rewriters independent of answering, and one home for the shared text rules."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa"
# the layers, bottom first: a module may import its own layer and those before it, never one after it
LAYERS = [("errors", "settings"), ("text",), ("models",), ("ingest",), ("index",), ("retrieve",), ("answer",),
          ("api",), ("eval",), ("cli",)]
# the names qa/__init__.py hands out lazily, by the module that defines each
LAZY = {"Assistant": "api", "ask": "api", "search": "api", "Answer": "answer.events", "Citation": "answer.events",
        "Progress": "answer.events", "Verified": "answer.events", "Passage": "retrieve.retrieval"}
ANSWERING = {"answer.orchestrator", "retrieve.evidence", "answer.prompt", "answer.verification",
             "answer.composition", "answer.conflicts", "answer.questions"}


def module_files(package: Path = PACKAGE, at_least: int = 30) -> dict[str, Path]:
    """Every module of a package by its dotted name under it ("text.rules", "api"); never empty."""
    found = {".".join(p.relative_to(package).with_suffix("").parts): p for p in sorted(package.rglob("*.py"))}
    found = {name.removesuffix(".__init__"): p for name, p in found.items()}
    assert len(found) >= at_least, f"found only {len(found)} modules under {package}"
    return found


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The qa modules a file imports, at any depth (function-level imports included), by dotted name."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "qa":
            base = node.module.removeprefix("qa").removeprefix(".")
            names = [f"{base}.{a.name}".lstrip(".") for a in node.names] + [base]
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: a relative import (qa/ imports by absolute name)")
        elif isinstance(node, ast.Import):
            names = [a.name.removeprefix("qa.") for a in node.names if a.name.startswith("qa.")]
        # `from qa import Assistant`: the package's lazy names stand for the modules that define them
        names = [LAZY.get(name, name) for name in names]
        # the deepest module each name denotes ("answer.orchestrator.Answerer" -> "answer.orchestrator")
        for name in names:
            parts = name.split(".")
            for n in range(len(parts), 0, -1):
                if ".".join(parts[:n]) in modules:
                    out.add(".".join(parts[:n]))
                    break
    return out - {""}


def graph(package: Path = PACKAGE, at_least: int = 30) -> dict[str, set[str]]:
    files = module_files(package, at_least)
    modules = set(files)
    return {name: imports_of(path, modules) - {name} for name, path in files.items()}


def layer_of(module: str) -> int | None:
    """The index in LAYERS of a module's stage; None for the package itself (qa/__init__, __main__)."""
    head = module.split(".")[0]
    for i, layer in enumerate(LAYERS):
        if head in layer:
            return i
    return None


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


def test_every_module_sits_in_a_stage_package():
    loose = [m for m in module_files() if layer_of(m) is None and m not in ("__init__", "__main__")]
    assert loose == [], f"modules outside the layers {LAYERS}: {loose}"


def layer_breaks(edges: dict[str, set[str]]) -> list[str]:
    """Each import of a module from a stage above its own, as a message that names the rule."""
    rule = " < ".join("/".join(layer) for layer in LAYERS)
    return sorted(
        f"{module} imports {target}: {'/'.join(LAYERS[layer_of(module)])} may not import "
        f"{'/'.join(LAYERS[layer_of(target)])} (the layers, bottom first: {rule})"
        for module, targets in edges.items() for target in targets
        if layer_of(module) is not None and layer_of(target) is not None and layer_of(target) > layer_of(module))


def test_each_stage_imports_only_the_stages_below_it():
    edges = graph()
    assert edges["answer.orchestrator"] >= {"retrieve.evidence", "answer.verification", "answer.composition"}
    assert layer_breaks(edges) == []


def test_a_planted_upward_import_is_named_with_the_rule(tmp_path):
    package = tmp_path / "qa"
    for folder in ("text", "answer"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "answer" / "orchestrator.py").write_text("from qa.text.rules import words\n")
    (package / "text" / "rules.py").write_text("def words():\n    from qa.answer.orchestrator import Answerer\n")
    breaks = layer_breaks(graph(package, at_least=4))
    assert len(breaks) == 1
    assert breaks[0].startswith("text.rules imports answer.orchestrator: text may not import answer")
    assert "errors/settings < text < models < ingest < index < retrieve < answer < api < eval < cli" in breaks[0]


def test_the_package_s_lazy_names_count_as_imports_of_their_modules(tmp_path):
    (tmp_path / "qa" / "text").mkdir(parents=True)
    (tmp_path / "qa" / "api.py").write_text("")
    (tmp_path / "qa" / "text" / "rules.py").write_text("from qa import Assistant\n")
    assert layer_breaks(graph(tmp_path / "qa", at_least=2))[0].startswith("text.rules imports api: text may not")


def test_a_relative_import_is_refused(tmp_path):
    (tmp_path / "qa" / "text").mkdir(parents=True)
    (tmp_path / "qa" / "text" / "rules.py").write_text("from .language import WORDS\n")
    import pytest

    with pytest.raises(AssertionError, match="relative import"):
        graph(tmp_path / "qa", at_least=1)


def test_no_import_circle_in_qa():
    assert find_cycle(graph()) is None


def test_the_scorer_imports_nothing_of_qa():
    assert graph()["eval.scoring"] == set()


def test_rewriters_need_nothing_of_answering():
    edges = graph()
    for rewriter in ("answer.followups", "answer.translation", "text.korean"):
        assert not edges[rewriter] & ANSWERING, rewriter


def test_answering_reads_documents_through_the_store():
    edges = graph()
    for module in ANSWERING:
        assert not {m for m in edges[module] if m.startswith(("ingest.", "index.sync"))}, module


def test_shared_text_rules_have_one_home():
    marker = re.compile(r"\\\[\(?\\d|\\\[\\s\*\\d")  # a regex source matching "[<digit>"
    hangul = re.compile(r"\\uac00|가-힣")
    homes = {"text.rules", "text.language", "eval.scoring"}  # scoring keeps its own: the judge shares no code
    sources = [p for m, p in module_files().items() if m not in homes] + [ROOT / "ui.py"]
    assert [p.name for p in sources if marker.search(p.read_text(encoding="utf-8"))] == []
    assert [p.name for p in sources if hangul.search(p.read_text(encoding="utf-8"))] == []


def test_answering_reads_the_index_through_the_retriever():
    """qa/answer/ asks the retriever for sentences, neighbours, vectors and terms by name: it never holds
    the store, the analyzer or the embedder."""
    reach = re.compile(r"\.store\b|\.analyzer\b|\.embedder\b|\bIndexStore\b")
    files = sorted((PACKAGE / "answer").rglob("*.py"))
    assert len(files) > 5
    assert [f"{p.name}: {m.group()}" for p in files if (m := reach.search(p.read_text(encoding="utf-8")))] == []


def test_the_page_uses_the_api_only():
    """ui.py imports qa.api, the events it shows, the errors and the settings: nothing inside the stages."""
    allowed = {"api", "answer.events", "errors", "settings"}
    used = imports_of(ROOT / "ui.py", set(module_files()))
    assert used and used <= allowed, f"ui.py imports {sorted(used - allowed)}"


def test_no_module_is_over_450_lines():
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in module_files().items()}
    assert {name: n for name, n in lengths.items() if n > 450} == {}
