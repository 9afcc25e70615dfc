"""The encoder: photo in, L2-normalised embedding out, with a stable model id.

An encoder is a backbone from the registry, optionally followed by an
embedding head (from a model file).  Its ``model_id`` names the exact
weights: it changes whenever the backbone weights, the head weights or the
preprocessing change, so the catalogue never mixes vectors of two models.
Inference is batched; preprocessing is a separate, thread-safe step so image
decoding can run in worker threads while the model runs.  On the CPU the
backbone runs in ONNX Runtime (``onnx_backbone``) when it is installed, with
PyTorch as the reference and the fallback.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading

import numpy as np
import torch
from PIL import Image
from torch import nn

from album.vision.backbones import BackboneSpec, PooledBackbone, Preprocessing
from album.vision.calibration import ScoreScale
from album.vision.onnx_backbone import LazyRuntime, weights_digest


def configure_threads(threads: int | None = None) -> None:
    """Use every core for inference unless told otherwise (once per process)."""
    wanted = threads or os.cpu_count() or 1
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


class Encoder:
    def __init__(self, backbone: BackboneSpec, head: nn.Module | None = None, head_checksum: str | None = None,
                 preprocessing: Preprocessing | None = None, device: str = "cpu", min_score: float | None = None,
                 score_scale: ScoreScale | None = None, share: "Encoder | None" = None):
        """``share``: an encoder of the same backbone weights on the same device whose network this one
        uses, instead of building a copy."""
        configure_threads()
        self.backbone_spec = backbone
        self.preprocessing = preprocessing or backbone.preprocessing
        self.device = torch.device(device)
        self._share = share
        self._network: PooledBackbone | None = None
        self._network_lock = threading.Lock()
        self._built_digest: str | None = None
        self._bundled_classifier: nn.Linear | None = None
        self.head = head.to(self.device).eval() if head is not None else None
        #: the faster runtime of the same backbone, made on first use (CPU only)
        self._runtime = (LazyRuntime(lambda: self.backbone, self.preprocessing.crop, torch.get_num_threads(),
                                     self._untouched_weights) if self.device.type == "cpu" else None)
        self._head_checksum = head_checksum
        with torch.inference_mode():
            probe = torch.zeros(1, backbone.dim, device=self.device)
            self.dim = int(self.head(probe).shape[1]) if self.head is not None else backbone.dim
        #: names the backbone weights (feature caches are keyed by it)
        self.backbone_id = f"{backbone.name}@{backbone.weights_id()}"
        self.model_id = self._make_model_id()
        #: the similarity below which results are not shown by default (calibrated per model)
        self.min_score = backbone.min_score if min_score is None else min_score
        #: how scores read to a person (calibrated on validation photos; see ``calibration``)
        self.score_scale = score_scale or ScoreScale.uncalibrated(self.min_score)
        if self._runtime is None or not self._runtime.kept():
            self.backbone  # built now: a network that cannot be (weights missing offline) fails here, plainly

    @property
    def backbone(self) -> PooledBackbone:
        """The PyTorch network: built with the encoder, unless a graph of its untouched weights is kept for
        ONNX Runtime (``onnx_backbone``), then on first use (importing timm and building it take about 2.5 s
        in a new process)."""
        with self._network_lock:
            if self._network is None and self._share is not None:
                self._network = self._share.backbone
            elif self._network is None:
                # channels-last convolutions run about twice as fast on CPUs (measured: 65 vs 30 images/s)
                self._network = self.backbone_spec.build().to(self.device, memory_format=torch.channels_last).eval()
                if self._runtime is not None:  # only graphs are named by it
                    self._built_digest = weights_digest(self._network)
            return self._network

    @property
    def network_built(self) -> bool:
        return self._network is not None or (self._share is not None and self._share.network_built)

    def _classifier(self):
        """The network's classifier; while the network is not built, the registry's, read from its weights."""
        if self.network_built or self.backbone_spec.classifier is None:
            return self.backbone.classifier
        with self._network_lock:
            if self._bundled_classifier is None:
                self._bundled_classifier = self.backbone_spec.classifier().to(self.device)
            return self._bundled_classifier

    def _untouched(self) -> bool:
        """Whether the network is the registry's as built: not built yet, or its weights unchanged since (a
        fine-tuned backbone's weights are loaded into it after the build)."""
        if self._share is not None:
            return self._share._untouched()
        return self._network is None or weights_digest(self._network) == self._built_digest

    def _untouched_weights(self) -> str | None:
        """Names the backbone's weights (its features id) while they are the registry's as built; else None."""
        return self.features_id if self._untouched() else None

    def _preprocessing_suffix(self) -> str:
        if self.preprocessing == self.backbone_spec.preprocessing:
            return ""
        signature = json.dumps(self.preprocessing.as_dict(), sort_keys=True).encode()
        return f"~{hashlib.sha256(signature).hexdigest()[:6]}"

    @property
    def features_id(self) -> str:
        """Names what ``features`` computes (backbone weights and preprocessing): encoders with equal
        ids share pooled features, so a new head over them needs no decoding and no CNN."""
        return self.backbone_id + self._preprocessing_suffix()

    def _make_model_id(self) -> str:
        model_id = f"{self.backbone_spec.name}@{self.backbone_spec.weights_id()}" + self._preprocessing_suffix()
        if self.head is not None:
            model_id += f"+{self._head_checksum or 'head'}"
        return model_id

    @property
    def decode_size(self) -> int:
        """The shorter side the loader should decode to (JPEG draft mode)."""
        return self.preprocessing.resize

    def preprocess(self, image: Image.Image) -> torch.Tensor:
        """RGB image to a normalised (3, crop, crop) tensor (``preprocess.center_tensor``). Thread-safe."""
        from album.vision.preprocess import center_tensor

        return center_tensor(image, self.preprocessing)

    @torch.inference_mode()
    def features(self, batch: torch.Tensor) -> torch.Tensor:
        """Pooled backbone features for a preprocessed batch (no head, not normalised)."""
        runtime = self._runtime.get() if self._runtime is not None else None
        if runtime is not None:
            return torch.from_numpy(runtime(batch.cpu().numpy()))
        return self.backbone(batch.to(self.device, memory_format=torch.channels_last))

    @property
    def runtime(self) -> str:
        """Where the backbone runs: "onnxruntime" or "torch" (loads the runtime if not yet loaded)."""
        return "onnxruntime" if self._runtime is not None and self._runtime.get() is not None else "torch"

    @torch.inference_mode()
    def embed_features(self, features: torch.Tensor) -> np.ndarray:
        """Head and L2 normalisation applied to pooled features."""
        embeddings = self.head(features.to(self.device)) if self.head is not None else features
        embeddings = nn.functional.normalize(embeddings.float(), dim=1)
        return embeddings.cpu().numpy().astype(np.float32)

    @torch.inference_mode()
    def label_features(self, features: np.ndarray) -> np.ndarray:
        """ImageNet class probabilities (N, 1000) of pooled features (what the backbone's own
        classifier says the photos show)."""
        logits = self._classifier()(torch.as_tensor(np.asarray(features, np.float32), device=self.device))
        return torch.softmax(logits.float(), dim=1).cpu().numpy()

    def embed_batch(self, batch: torch.Tensor) -> np.ndarray:
        """Embeddings (N, dim), float32, unit length, for a preprocessed batch."""
        return self.embed_features(self.features(batch))

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        return self.embed_batch(torch.stack([self.preprocess(image) for image in images]))
