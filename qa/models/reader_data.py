"""The span reader's data: `../shared/train` read and split into training and held-out rows, by a seeded,
committed rule, so training (scripts/train_reader.py) and the reading benchmark (scripts/reader_eval.py)
agree on which rows were never trained on.

Held out: 3 of the 16 `squad2-16` articles (a seeded choice), 10 % of the Amazon products (a seeded choice
of titles) and the last 10 % of the Reddit paragraphs (in file order). The public evaluation sets are never
read here.

Example:
    >>> rows = [{"title": t, "context": c, "question": "q", "answers": [], "impossible": True, "file": f}
    ...         for t, c, f in [("A", "a", "squad2-16"), ("B", "b", "shifts-reddit"), ("B", "c", "shifts-reddit")]]
    >>> train, held = split_rows(rows, squad_articles=0, amazon_share=0.1, reddit_share=0.5)
    >>> [r["context"] for r in train], [r["context"] for r in held]
    (['a', 'b'], ['c'])
"""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

SPLIT_SEED = 32
TRAIN_FILES = ("squad2-16", "shifts-amazon", "shifts-reddit")
HELD_OUT_SQUAD_ARTICLES = 3
HELD_OUT_AMAZON_SHARE = 0.10
HELD_OUT_REDDIT_SHARE = 0.10


def default_train_dir() -> Path:
    """`../shared/train` beside the project folder."""
    return Path(__file__).resolve().parents[3] / "shared" / "train"


def load_rows(folder: Path | None = None) -> list[dict]:
    """Every row of the training files, each with `file` (its file's stem) added; a missing folder or file is
    an error naming it."""
    folder = Path(folder or default_train_dir())
    rows = []
    for name in TRAIN_FILES:
        path = folder / f"{name}.jsonl"
        if not path.is_file():
            raise FileNotFoundError(f"training file {path} is missing (the reader trains on ../shared/train)")
        with open(path, encoding="utf-8") as f:
            rows.extend({**json.loads(line), "file": name} for line in f if line.strip())
    return rows


def split_rows(rows: list[dict], seed: int = SPLIT_SEED, squad_articles: int = HELD_OUT_SQUAD_ARTICLES,
               amazon_share: float = HELD_OUT_AMAZON_SHARE, reddit_share: float = HELD_OUT_REDDIT_SHARE
               ) -> tuple[list[dict], list[dict]]:
    """(training rows, held-out rows), each in file order."""
    rng = random.Random(seed)
    squad_titles = sorted({r["title"] for r in rows if r["file"] == "squad2-16"})
    held_titles = set(rng.sample(squad_titles, min(squad_articles, len(squad_titles))))
    products = sorted({r["title"] for r in rows if r["file"] == "shifts-amazon"})
    held_titles |= set(rng.sample(products, math.ceil(amazon_share * len(products)) if products else 0))
    paragraphs = list(dict.fromkeys(r["context"] for r in rows if r["file"] == "shifts-reddit"))
    cut = len(paragraphs) - math.ceil(reddit_share * len(paragraphs)) if paragraphs else 0
    held_paragraphs = set(paragraphs[cut:])
    train, held = [], []
    for r in rows:
        out = r["title"] in held_titles if r["file"] != "shifts-reddit" else r["context"] in held_paragraphs
        (held if out else train).append(r)
    return train, held


def answer_spans(row: dict) -> list[tuple[int, int]]:
    """The character spans of a row's answers, white space at their edges left out.

    >>> answer_spans({"context": "in 1871 .", "answers": [{"text": " 1871 ", "start": 2}]})
    [(3, 7)]
    """
    spans = []
    for a in row.get("answers") or []:
        text = a["text"]
        start = a["start"] + (len(text) - len(text.lstrip()))
        end = start + len(text.strip())
        if end > start:
            spans.append((start, end))
    return spans
