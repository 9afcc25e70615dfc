"""The encoder: photo in, L2-normalised embedding out, with a stable model id.

An encoder is a backbone from the registry, optionally followed by an
embedding head (from a model file).  Its ``model_id`` names the exact
weights: it changes whenever the backbone weights, the head weights or the
preprocessing change, so the catalogue never mixes vectors of two models.
Inference is batched; preprocessing is a separate, thread-safe step so image
decoding can run in worker threads while the model runs.  On the CPU the
backbone and its classifier run in ONNX Runtime (``onnx_backbone``) and the
head in numpy (``head_arrays``), so an encoder whose graphs are shipped or
kept never imports PyTorch; PyTorch is the reference, the fallback and the
exporter, loaded only when one of them is needed.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from album.vision.backbones import BackboneSpec, Preprocessing
from album.vision.calibration import ScoreScale
from album.vision.head_arrays import softmax, unit_rows
from album.vision.onnx_backbone import LazyNetwork
from album.vision.onnx_runtime import require_torch


#: photos per run of a backbone in ONNX Runtime: half the memory it keeps after a batch of 32, at the same speed
ROWS_PER_RUN = 16


def configure_threads(threads: int | None = None) -> None:
    """Let PyTorch use every core for inference unless told otherwise (once per process)."""
    import torch

    wanted = threads or os.cpu_count() or 1
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)


def _torch():
    """PyTorch, for the networks that must run in it (``require_torch``: a plain ModelUnavailable without it)."""
    require_torch("this model")
    import torch

    return torch


class Encoder:
    def __init__(self, backbone: BackboneSpec, head: Any = None, head_checksum: str | None = None,
                 preprocessing: Preprocessing | None = None, device: str = "cpu", min_score: float | None = None,
                 score_scale: ScoreScale | None = None, share: "Encoder | None" = None,
                 tuned: Callable[[], dict] | None = None, tuned_checksum: str | None = None):
        """``head``: a run-time head (``head_arrays``: features (N, D) -> (N, dim) float32, with ``dim``).
        ``share``: an encoder of the same backbone weights on the same device whose network this one uses,
        instead of building a copy. ``tuned``: the state dict of fine-tuned backbone weights (from a model
        file whose checksum is ``tuned_checksum``), loaded into the network when it is built."""
        self.backbone_spec = backbone
        self.preprocessing = preprocessing or backbone.preprocessing
        self.device = str(device)
        self._share = share
        self._tuned = tuned
        self._network = None
        self._network_lock = threading.Lock()
        self._built_digest: str | None = None
        self._bundled_classifier = None
        self.head = head
        self._head_checksum = head_checksum
        self.dim = int(head.dim) if head is not None else backbone.dim
        #: names the backbone weights (feature caches are keyed by it)
        self.backbone_id = f"{backbone.name}@{backbone.weights_id()}" + (f"*{tuned_checksum}" if tuned else "")
        self.model_id = self._make_model_id()
        #: the similarity below which results are not shown by default (calibrated per model)
        self.min_score = backbone.min_score if min_score is None else min_score
        #: how scores read to a person (calibrated on validation photos; see ``calibration``)
        self.score_scale = score_scale or ScoreScale.uncalibrated(self.min_score)
        threads = os.cpu_count() or 1
        crop = self.preprocessing.crop
        #: the faster runtimes of the same backbone and its classifier, made on first use (CPU only)
        self._runtime = self._classifier_runtime = None
        if self.device == "cpu":
            self._runtime = LazyNetwork(self._backbone_graph_name, lambda: self._export_backbone(crop), threads,
                                        f"{backbone.title} network", rows=ROWS_PER_RUN)
            self._classifier_runtime = LazyNetwork(lambda: f"classifier {self.backbone_id}",
                                                   self._export_classifier, threads, f"{backbone.title} classifier")
        if self._runtime is None or not self._runtime.ready(self._untouched_graph_name()):
            self.backbone  # built now: a network that cannot be (weights missing offline) fails here, plainly

    @property
    def backbone(self):
        """The PyTorch network (``networks.PooledBackbone``): built with the encoder, unless a graph of its
        untouched weights is shipped or kept for ONNX Runtime, then on first use (importing PyTorch and timm
        and building it take about 2.5 s in a new process)."""
        with self._network_lock:
            if self._network is None and self._share is not None:
                self._network = self._share.backbone
            elif self._network is None:
                torch = _torch()
                configure_threads()
                network = self.backbone_spec.build()
                if self._tuned is not None:
                    network.network.load_state_dict(self._tuned())
                # channels-last convolutions run about twice as fast on CPUs (measured: 65 vs 30 images/s)
                self._network = network.to(self.device, memory_format=torch.channels_last).eval()
                if self._runtime is not None:  # only graphs are named by it
                    from album.vision.graph_export import weights_digest

                    self._built_digest = weights_digest(self._network)
            return self._network

    @property
    def network_built(self) -> bool:
        return self._network is not None or (self._share is not None and self._share.network_built)

    def _untouched(self) -> bool:
        """Whether the network is as the encoder builds it: not built yet, or its weights unchanged since."""
        if self._share is not None:
            return self._share._untouched()
        if self._network is None:
            return True
        from album.vision.graph_export import weights_digest

        return weights_digest(self._network) == self._built_digest

    def _untouched_graph_name(self) -> str | None:
        """The backbone graph's name while the network is as built (named by its features id); else None."""
        return f"backbone {self.features_id} crop {self.preprocessing.crop}" if self._untouched() else None

    def _backbone_graph_name(self) -> str:
        name = self._untouched_graph_name()
        if name is not None:
            return name
        from album.vision.graph_export import weights_digest

        return f"backbone weights {weights_digest(self.backbone)} crop {self.preprocessing.crop}"

    def _export_backbone(self, crop: int) -> bytes:
        from album.vision.graph_export import export_backbone

        return export_backbone(self.backbone, crop)

    def _torch_classifier(self):
        """The network's classifier; while the network is not built, the registry's, read from its weights."""
        if self.network_built or self.backbone_spec.classifier is None:
            return self.backbone.classifier
        with self._network_lock:
            if self._bundled_classifier is None:
                _torch()
                self._bundled_classifier = self.backbone_spec.classifier().to(self.device)
            return self._bundled_classifier

    def _export_classifier(self) -> bytes:
        from album.vision.graph_export import export_classifier

        return export_classifier(self._torch_classifier(), self.backbone_spec.dim)

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

    def preprocess(self, image: Image.Image) -> np.ndarray:
        """RGB image to a normalised (3, crop, crop) float32 array (``cropping.center_pixels``). Thread-safe."""
        from album.vision.cropping import center_pixels

        return center_pixels(image, self.preprocessing)

    def features(self, batch) -> np.ndarray:
        """Pooled backbone features (N, D) float32 of a preprocessed batch (N, 3, crop, crop): no head, not
        normalised."""
        batch = np.asarray(batch, np.float32)
        runtime = self._runtime.get() if self._runtime is not None else None
        if runtime is not None:
            return runtime(batch)
        torch = _torch()
        with torch.inference_mode():
            images = torch.from_numpy(batch).to(self.device, memory_format=torch.channels_last)
            return self.backbone(images).float().cpu().numpy()

    @property
    def runtime(self) -> str:
        """Where the backbone runs: "onnxruntime" or "torch" (loads the runtime if not yet loaded)."""
        return "onnxruntime" if self._runtime is not None and self._runtime.get() is not None else "torch"

    def embed_features(self, features) -> np.ndarray:
        """Head and L2 normalisation applied to pooled features (N, D): (N, dim) float32 unit vectors."""
        features = np.asarray(features, np.float32)
        embeddings = self.head(features) if self.head is not None else features
        return unit_rows(np.asarray(embeddings, np.float32)).astype(np.float32)

    def label_features(self, features: np.ndarray) -> np.ndarray:
        """ImageNet class probabilities (N, 1000) of pooled features (what the backbone's own
        classifier says the photos show)."""
        features = np.ascontiguousarray(features, np.float32)
        runtime = (self._classifier_runtime.get()
                   if self._classifier_runtime is not None and self._untouched() else None)
        if runtime is not None:
            return softmax(runtime(features)).astype(np.float32)
        torch = _torch()
        with torch.inference_mode():
            logits = self._torch_classifier()(torch.from_numpy(features).to(self.device))
            return torch.softmax(logits.float(), dim=1).cpu().numpy()

    def embed_batch(self, batch) -> np.ndarray:
        """Embeddings (N, dim), float32, unit length, for a preprocessed batch."""
        return self.embed_features(self.features(batch))

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        return self.embed_batch(np.stack([self.preprocess(image) for image in images]))
