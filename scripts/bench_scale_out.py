"""`make bench-scale-out`: embedding on a local Ray cluster beside one process, in one run.

The texts are sentences: those of the three public corpora (../shared/eval/public/*/corpus) and the
seeds, split as indexing splits them, repeated until there are --sentences of them. (Indexing embeds
a window per sentence, the sentence with the one before it and the title: longer texts, so fewer a
second; the ratio of the two arms is what this measures.)
Both arms get the same texts in the same blocks (Ray's order: longest first, 4,096 a block):

- one process: the default embedder (MiniLM on ONNX Runtime) with every core, block after block;
- Ray: a local cluster (`ray.init()`, every core) and `RayEmbedder` with --workers actors of one CPU
  each, as `qa index --ray` runs it (checkpoint included).

Start-up is excluded from both rates, the same way: a rate counts the texts after the first block
received and the time from that block to the last (the first block pays model loading, the Ray actors'
start and, in one process, nothing else). The cluster's start (ray.init) and the whole wall time are
reported beside. The overhead a node pays is 1 - Ray rate / one-process rate; a cluster of N such
nodes is estimated at N x the Ray rate (each node embeds its own blocks; the driver only hands out
rows and receives 1.5 kB a text).

Writes bench/scale-out.json. Run on a quiet machine: the two arms must not compete for cores.
Run: make bench-scale-out   (or: .venv/bin/python scripts/bench_scale_out.py --sentences 100000)
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT.parent / "shared" / "eval" / "public"


def corpus_documents():
    """The documents of the public corpora and the seeds, loaded one by one as indexing loads them."""
    from qa.ingest.documents import discover, document_from_bytes

    roots = [p for p in sorted(PUBLIC.glob("*/corpus")) if p.is_dir()] + [ROOT / "seeds"]
    files, _ = discover(roots)
    for sf in files:
        yield document_from_bytes(sf.doc_id, sf.path.read_bytes(), sf.path.suffix, sf.path)


def corpus_sentences() -> list[str]:
    """The sentences of the public corpora and the seeds, as indexing splits them."""
    from qa.text.sentences import sentence_spans

    texts = [doc.text[s:e] for doc in corpus_documents() for s, e in sentence_spans(doc.text)]
    return [t for t in texts if t.strip()]


def driver_rate(settings, embedder) -> dict:
    """What the driver does per document with or without Ray: read, chunk, cut sentence windows (the
    tokenizer counts word pieces; no model runs). Its rate bounds a cluster's ingest rate."""
    from qa.ingest.chunking import chunk_document, sentence_windows

    started = time.perf_counter()
    documents = windows = chars = 0
    for doc in corpus_documents():  # reading is timed too: the generator loads each file here
        chunks = chunk_document(doc, embedder, settings.chunk_tokens, settings.chunk_overlap_tokens)
        windows += len(sentence_windows(doc, chunks, embedder, settings.chunk_tokens))
        chars += len(doc.text)
        documents += 1
    seconds = time.perf_counter() - started
    return {"documents": documents, "chars": chars, "windows": windows, "seconds": seconds,
            "windows_per_s": windows / seconds, "mb_per_s": chars / 1e6 / seconds}


def steady_rate(arrivals: list[tuple[float, int]]) -> float:
    """Texts per second after the first block received (start-up excluded).

    >>> steady_rate([(10.0, 100), (11.0, 100), (13.0, 300)])
    133.33333333333334
    """
    if len(arrivals) < 2:
        raise ValueError("need two blocks or more")
    rows = sum(n for _, n in arrivals[1:])
    return rows / (arrivals[-1][0] - arrivals[0][0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench" / "scale-out.json"))
    parser.add_argument("--driver-only", action="store_true",
                        help="measure only the driver's reading and chunking, into the existing --out")
    args = parser.parse_args(argv)

    from qa.models.embedding import make_embedder
    from qa.models.ray_embedding import RayEmbedder, connect, shutdown
    from qa.settings import Settings

    settings = Settings.from_env()
    local = make_embedder(settings)
    driver = driver_rate(settings, local)
    print(f"driver: read and chunked {driver['documents']} documents, {driver['windows']:,} windows, in "
          f"{driver['seconds']:.1f} s ({driver['windows_per_s']:,.0f} windows/s)", file=sys.stderr)
    if args.driver_only:
        report = json.loads(Path(args.out).read_text())
        report["driver_read_and_chunk"] = driver
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
        return 0
    base = corpus_sentences()
    mean_pieces = float(np.mean(local.count_tokens(base)))
    texts = (base * (args.sentences // len(base) + 1))[:args.sentences]
    print(f"{len(texts):,} texts ({len(base):,} distinct sentences of the public corpora and the seeds, "
          f"{mean_pieces:.0f} word pieces on average), "
          f"{settings.embedder}", file=sys.stderr)
    BLOCK_ROWS = settings.ray_block_rows
    order = np.argsort([-len(t) for t in texts], kind="stable")
    blocks = [[texts[r] for r in order[i:i + BLOCK_ROWS]] for i in range(0, len(order), BLOCK_ROWS)]

    # one process, every core
    started = time.perf_counter()
    arrivals = [(started, 0)]
    one_vectors = np.zeros((len(texts), local.dim), np.float32)
    for i, block in enumerate(blocks):
        one_vectors[order[i * BLOCK_ROWS:(i + 1) * BLOCK_ROWS]] = local.embed(block)
        arrivals.append((time.perf_counter(), len(block)))
    one = {"wall_s": arrivals[-1][0] - started, "rate_per_s": steady_rate(arrivals[1:])}
    print(f"one process: {one['rate_per_s']:,.0f}/s after the first block ({one['wall_s']:.1f} s in all)",
          file=sys.stderr)
    del local  # its ONNX session's threads would sit idle beside the workers; free its memory too

    # Ray, local cluster
    started = time.perf_counter()
    try:
        resources = connect("local")
        ray_start_s = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as folder:
            ray_embedder = RayEmbedder(make_embedder(settings), settings, "local", workers=args.workers,
                                       block_rows=BLOCK_ROWS, checkpoint_dir=Path(folder) / "checkpoint")
            started = time.perf_counter()
            ray_vectors = ray_embedder.embed(texts)
            ray_wall = time.perf_counter() - started
    finally:
        shutdown()
    ray = {"cluster_start_s": ray_start_s, "wall_s": ray_wall, "rate_per_s": steady_rate(ray_embedder.arrivals),
           "workers": args.workers, "cpus": int(resources.get("CPU", 0))}
    print(f"Ray, {args.workers} workers: {ray['rate_per_s']:,.0f}/s after the first block ({ray_wall:.1f} s in all, "
          f"cluster start {ray_start_s:.1f} s)", file=sys.stderr)

    ratio = ray["rate_per_s"] / one["rate_per_s"]
    max_diff = float(np.abs(ray_vectors - one_vectors).max())
    report = {
        "driver_read_and_chunk": driver,
        "texts": len(texts), "distinct_texts": len(set(base)),
        "mean_word_pieces": mean_pieces, "embedder": settings.embedder,
        "block_rows": BLOCK_ROWS, "one_process": one, "ray_local": ray,
        "ray_over_one_process": ratio, "overhead_per_node": 1 - ratio,
        "within_15_percent": ratio >= 0.85, "max_abs_vector_difference": max_diff,
        "estimated_cluster_rate_per_s": {str(n): n * ray["rate_per_s"] for n in (1, 4, 16, 64)},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_end": os.getloadavg()},
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(f"Ray / one process: {ratio:.3f} (overhead {1 - ratio:+.1%}); vectors differ by at most {max_diff:.1e}; "
          f"-> {args.out}", file=sys.stderr)
    return 0 if ratio >= 0.85 else 1


if __name__ == "__main__":
    sys.exit(main())
