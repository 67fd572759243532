"""The `qa` command: index documents, search them, evaluate retrieval.

Exit codes: 0 done, 2 bad input (a missing path, a file that cannot be indexed, a bad question),
1 an internal failure. Errors are one line on stderr, never a traceback.

Example:
    $ qa index seeds --index /tmp/my-index
    $ qa search "tidal power" -k 3 --index /tmp/my-index
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from dataclasses import asdict
from pathlib import Path

from qa.errors import QAError


def _index_dir(value: str | None):
    return Path(value).resolve() if value else None


def cmd_index(args, settings) -> int:
    from qa.index.sync import load_base, say, sync_index
    from qa.models.embedding import make_embedder

    if args.store:
        settings = dataclasses.replace(settings, store=args.store)
    index_dir = _index_dir(args.index) or settings.index_dir
    roots = [Path(p) for p in args.paths] if args.paths else settings.default_corpus
    base = load_base(index_dir, settings)
    if not args.paths:
        settings.uploads_dir.mkdir(parents=True, exist_ok=True)
        missing = [r for r in roots if not r.exists()]
        if missing and base is None:
            raise QAError(f"{missing[0]}: no such folder (the default corpus); set QA_SEEDS_DIR to the documents' "
                          f"folder, or give PATHS")
        if missing:  # an index exists: the removal guard decides, and names the index in its message
            roots = [r for r in roots if r.exists()]
    address = args.ray if args.ray is not None else settings.ray_address
    embedder = make_embedder(settings)
    if address:
        from qa.models.ray_embedding import RayEmbedder, check_address, checkpoint_dir, shutdown

        embedder = RayEmbedder(embedder, settings, check_address(address), workers=settings.ray_workers,
                               worker_cpus=settings.ray_worker_cpus, block_rows=settings.ray_block_rows,
                               checkpoint_dir=checkpoint_dir(settings, index_dir), say=say)
    try:
        store, report = sync_index(index_dir, roots, embedder, settings, base=base, strict=True,
                                   allow_remove_all=args.allow_remove_all,
                                   missing_roots=[] if args.paths else [r for r in settings.default_corpus
                                                                        if not r.exists()])
    finally:
        if address:
            shutdown()
    if address:
        embedder.checkpoint.remove()  # the index holds every vector now
    for path, why in report.skipped:
        say(f"skipped {path}: {why}")
    print(f"{report.summary()} -> {store.describe()}")
    return 0


def _assistant(args, settings):
    from qa.api import Assistant

    corpus = getattr(args, "corpus", None)
    if corpus:
        if args.index:
            raise QAError("--corpus and --index exclude each other: --corpus indexes DIR into the cache itself")
        from qa.eval.evaluation import corpus_assistant

        return corpus_assistant(corpus, settings)
    return Assistant(_index_dir(args.index), settings=settings)


def cmd_search(args, settings) -> int:
    query = args.query.strip()
    if not query:
        raise QAError("empty query")
    passages = _assistant(args, settings).search(query, k=args.k, sources=args.source)
    if args.json:
        print(json.dumps([asdict(p) for p in passages], ensure_ascii=False, indent=1))
        return 0
    for rank, p in enumerate(passages, start=1):
        print(f"[{rank}] {p.source}  score={p.score:.4f}  chars {p.start}-{p.end}")
        print(p.text)
        print()
    return 0


def cmd_ask(args, settings) -> int:
    assistant = _assistant(args, settings)
    answer = assistant.ask(args.question, k=args.k, generator=args.generator, sources=args.source, reader=args.reader)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=1))
        return 0
    print(answer.text)
    shown = answer.citations or []
    if shown:
        print()
        for c in shown:
            print(f"[{c.n}] {c.source} ({c.where}, score {c.score:.4f})")
            print(f"    \"{c.quote}\"")
    elif answer.refused and answer.passages:
        print("\nClosest passages:")
        for p in answer.passages[:3]:
            print(f"- {p.source}: {' '.join(p.text.split())[:160]}...")
    return 0


def cmd_eval(args, settings) -> int:
    from qa.eval.evaluation import compare, evaluate

    if args.compare:
        a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in args.compare)
        print(f"{'metric':45} {'A':>10} {'B':>10} {'change':>10}")
        for name, va, vb in compare(a, b):
            change = f"{vb - va:+.4f}" if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else ""
            print(f"{name:45} {'-' if va is None else va:>10} {'-' if vb is None else vb:>10} {change:>10}")
        return 0
    if not args.questions:
        raise QAError("give a question file (or --compare A/summary.json B/summary.json)")
    if not Path(args.questions).is_file():
        raise QAError(f"{args.questions}: no such file")
    types = {t.strip() for t in args.types.split(",") if t.strip()} if args.types else None
    _check_sample(args)
    summary = evaluate(args.questions, _assistant(args, settings), k=args.k, generator=args.generator,
                       limit=args.limit, types=types, cache=not args.no_cache, report=args.report,
                       sample=args.sample, seed=args.seed)
    print(json.dumps({key: summary[key] for key in ("answers", "by_type", "retrieval", "citations", "cost")}, indent=1))
    if args.report:
        print(f"report: {Path(args.report) / 'report.md'}", file=sys.stderr)
    return 0


def _check_sample(args) -> None:
    if args.sample is not None and args.sample < 1:
        raise QAError("--sample must be at least 1")
    if args.corpus and not Path(args.corpus).is_dir():
        raise QAError(f"--corpus {args.corpus}: no such folder")


def cmd_eval_retrieval(args, settings) -> int:
    from qa.eval.evaluation import evaluate_retrieval, format_retrieval_table

    if not Path(args.questions).is_file():
        raise QAError(f"{args.questions}: no such file")
    _check_sample(args)
    summary = evaluate_retrieval(args.questions, _assistant(args, settings), k=args.k, sample=args.sample,
                                 seed=args.seed)
    print(format_retrieval_table(summary))
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0


def _source_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", action="append", metavar="NAME",
                   help="search only this document (a name as the index lists it); repeatable")


def _eval_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", metavar="DIR",
                   help="evaluate against DIR, indexed once into the cache (reused while DIR is unchanged)")
    p.add_argument("--sample", type=int, metavar="N", help="a reproducible random sample of N questions")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of --sample (default 0)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Question answering over your documents, offline.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="make an index hold exactly the files under PATHS",
                       description="Add, update and remove documents so the index holds exactly the files under "
                                   "PATHS (default: seeds/ and the uploads folder). Unchanged files are not re-embedded.")
    p.add_argument("paths", nargs="*", metavar="PATHS", help="files or folders (.txt, .md, .html)")
    p.add_argument("--index", metavar="DIR", help="index folder (default: the project's index/)")
    p.add_argument("--store", choices=("faiss", "milvus"),
                   help="where the index lives (default QA_STORE, else faiss); milvus over an existing FAISS "
                        "index moves it without re-embedding (QA_MILVUS_URI says which Milvus)")
    p.add_argument("--allow-remove-all", action="store_true",
                   help="go on when the update would remove every document because the folders the index was "
                        "built from are not found (by default it stops and says where it looked)")
    p.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                   help="embed on a Ray cluster: the one at ADDRESS (head:6379, ray://head:10001), or without "
                        "ADDRESS one started on this machine (QA_RAY_ADDRESS; QA_RAY_WORKERS actors)")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("search", help="print the passages that best match a query",
                       description="Hybrid search (dense + BM25, reciprocal-rank fusion): rank, document, score, full text.")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--index", metavar="DIR", help="index folder (default: the project's index/)")
    p.add_argument("--json", action="store_true", help="print a JSON list of passages")
    _source_option(p)
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("ask", help="answer a question with cited passages",
                       description="Answer from the indexed documents, citing passages [n]; says so when they do not answer.")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="passages to retrieve (default 5)")
    p.add_argument("--index", metavar="DIR", help="index folder (default: the project's index/)")
    p.add_argument("--generator", default=None, help="default, 0.5b, 1.5b, light, a .gguf file or a model folder")
    p.add_argument("--reader", choices=["generator", "span", "both"], default=None,
                   help="how answers are read (default QA_READER): the generator, the span reader, or both")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    _source_option(p)
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("eval", help="answer a question set and score it by SCORING.md",
                       description="Ask every question of a dev.jsonl-format file once and score the answers.")
    p.add_argument("questions", nargs="?", help="a JSONL file in the dev.jsonl format")
    p.add_argument("-k", type=int, default=None)
    p.add_argument("--index", metavar="DIR", help="index folder (default: the project's index/)")
    p.add_argument("--generator", default=None)
    p.add_argument("--no-cache", action="store_true", help="ask every question again (no per-question cache)")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="print every metric of two summary.json files")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions")
    p.add_argument("--types", default=None, help="only these question types, comma-separated (e.g. factoid,list)")
    p.add_argument("--report", metavar="DIR", help="write results.jsonl, summary.json, report.md and plots there")
    _eval_options(p)
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("eval-retrieval", help="recall@k and MRR of retrieval over a question set",
                       description="For answerable questions: is the longest sentence of the evidence in one of the "
                                   "top k stored passages? Dense, BM25 and fused side by side, English and Korean apart.")
    p.add_argument("questions", help="a JSONL file in the dev.jsonl format")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--index", metavar="DIR", help="index folder (default: the project's index/)")
    p.add_argument("--json", metavar="FILE", help="also write the summary as JSON")
    _eval_options(p)
    p.set_defaults(run=cmd_eval_retrieval)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    from qa.settings import Settings

    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "k", None) is not None and args.k < 1:
            raise QAError("-k must be at least 1")
        return args.run(args, Settings.from_env())
    except QAError as e:
        print(f"qa: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qa: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # never a traceback for the user; the message says what failed
        print(f"qa: internal error: {type(e).__name__}: {e}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
