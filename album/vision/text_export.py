"""The sentence encoder's transformer as an ONNX graph: the PyTorch side of word search.

Word search runs the sentence encoder (all-MiniLM-L6-v2) in ONNX Runtime
(``text_encoder.TextEncoder``); this module makes its graph, once, from the
weights in the model folder: token ids, attention mask and token types in,
the last hidden state (N, tokens, 384) out, any batch size and length.
Tokenizing, mean pooling and normalising stay outside the graph, in numpy.
Loading is offline (no download attempts, no progress bars: ``quiet_loading``,
also used by the sentence-transformers reference path).  This module needs
PyTorch and transformers; it is imported only to export.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

from album.errors import ModelUnavailable
from album.vision.onnx_runtime import OPSET

#: the graph's inputs, in the order of BERT's forward
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"


@contextlib.contextmanager
def quiet_loading() -> Iterator[None]:
    """No download attempts and no progress bars while the encoder loads."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from transformers.utils import logging as transformers_logging

    bars = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            transformers_logging.enable_progress_bar()


class _LastHiddenState(nn.Module):
    """The transformer with tensors in and its last hidden state out (what the exporter traces)."""

    def __init__(self, transformer: nn.Module):
        super().__init__()
        self.transformer = transformer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                token_type_ids: torch.Tensor) -> torch.Tensor:
        return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state


def export(folder: Path) -> bytes:
    """The transformer in ``folder`` as an ONNX graph (opset ``OPSET``), free in batch size and length."""
    with quiet_loading():
        from transformers import AutoModel

        try:
            transformer = AutoModel.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelUnavailable(f"the sentence encoder in {folder} cannot be loaded: {exc}") from None
    # a padded row among the examples, so that the traced mask handling is that of a padded batch
    input_ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    attention_mask = (input_ids != 0).long()
    examples = (input_ids, attention_mask, torch.zeros_like(input_ids))
    axes = {name: {0: "n", 1: "tokens"} for name in (*INPUTS, OUTPUT)}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        # the TorchScript exporter needs only ``onnx``; torch asks users to move to the torch.export one, and
        # warns where transformers' attention reads a shape as a Python value (checks that hold for any input)
        warnings.simplefilter("ignore")
        torch.onnx.export(_LastHiddenState(transformer.eval()), examples, buffer, input_names=list(INPUTS),
                          output_names=[OUTPUT], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    return buffer.getvalue()
