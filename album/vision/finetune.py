"""Fine-tuning the whole backbone with triplet loss (meant for a GPU).

Images are augmented on the fly (``preprocess.augmented_tensor``: random
resized crop, horizontal flip) and validated as inference sees them
(``preprocess.center_tensor``); BatchNorm layers keep their pretrained running statistics (they stay in eval
mode: P x K batches are too small and too class-skewed to re-estimate them).
The backbone learns at a tenth of the head's rate.  Batches come from
``MPerClassSampler`` with the same seed on every process.

Multi-process: run under ``torchrun --nproc-per-node N -m album train ...
--mode finetune``; each process trains a DistributedDataParallel replica
(gloo on CPU, nccl on GPU) on its share of every batch's classes, and
process 0 validates, keeps the best epoch (``record.BestEpoch``), reports
each epoch's steps to the progress callback and writes the model file
(backbone weights included, so such a file is large, unlike a head-only
model).
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch
import torch.distributed as dist
from pytorch_metric_learning import samplers
from torch import nn

from album.media.imageio import load_image
from album.tasks import ProgressCallback, ProgressMeter
from album.vision.backbones import Preprocessing, get_backbone
from album.vision.head import ResidualHead
from album.vision.metrics import format_metrics, retrieval_metrics, rounded
from album.vision.modelfile import save_model
from album.vision.options import TrainOptions
from album.vision.preprocess import augmented_tensor, center_tensor
from album.vision.record import BestEpoch, CardBuilder, source_entry
from album.vision.train_head import make_loss, make_miner, seed_everything


class TunedNetwork(nn.Module):
    """Backbone + residual head, trained together."""

    def __init__(self, backbone: nn.Module, head: ResidualHead):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images))

    def train(self, mode: bool = True) -> "TunedNetwork":
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.eval()  # frozen statistics
        return self


def _load(path, preprocessing: Preprocessing, rng: random.Random | None = None) -> torch.Tensor:
    """An image as inference sees it, or (with ``rng``) augmented for training."""
    image, _ = load_image(path, min_side=preprocessing.resize)
    return center_tensor(image, preprocessing) if rng is None else augmented_tensor(image, preprocessing, rng)


@torch.no_grad()
def _embed(model: TunedNetwork, paths, preprocessing: Preprocessing, batch: int = 32) -> np.ndarray:
    model.eval()
    chunks = []
    for start in range(0, len(paths), batch):
        images = torch.stack([_load(p, preprocessing) for p in paths[start:start + batch]])
        chunks.append(nn.functional.normalize(model(images.to(_device())), dim=1).cpu())
    return torch.cat(chunks).numpy()


def _device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def launch(sources, options: TrainOptions, progress: ProgressCallback | None = None) -> dict:
    """Fine-tune on the training classes of ``sources``; joins a process group under torchrun."""
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        return finetune(sources, options, progress)
    finally:
        if distributed and dist.is_initialized():
            dist.destroy_process_group()


def finetune(sources, options: TrainOptions, progress: ProgressCallback | None = None) -> dict:
    """Train backbone and head; process 0 writes ``options.out`` and returns its card (the others: {})."""
    record = CardBuilder(options, "finetune")
    config = options.config
    rank, world = (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    seed_everything(config.seed)
    spec = get_backbone(options.backbone)
    preprocessing = spec.preprocessing
    if options.crop:
        preprocessing = Preprocessing(round(options.crop * 8 / 7), options.crop, preprocessing.mean, preprocessing.std)
    device = _device()
    paths, labels, offset = [], [], 0
    for source in sources:
        paths += list(source.train.paths)
        labels += list(source.train.labels + offset)
        offset += len(source.train.classes)
    head = ResidualHead(spec.dim, hidden=config.hidden, dropout=config.dropout, power=config.power,
                        whiten=config.whiten)
    model = TunedNetwork(spec.build(), head).to(device)
    with torch.no_grad():
        head.set_reference(torch.from_numpy(_embed_raw(model.backbone, paths, preprocessing, device)))
    # the classifier of the ImageNet network is never used: DDP must not wait for its gradients
    network = nn.parallel.DistributedDataParallel(model, find_unused_parameters=True) if world > 1 else model
    k = config.samples_per_class
    classes = min(offset, max(world, options.batch_size // k))
    classes -= classes % world
    sampler = samplers.MPerClassSampler(labels, m=k, batch_size=classes * k, length_before_new_iter=len(labels))
    optimiser = torch.optim.AdamW([
        {"params": [p for p in model.backbone.parameters() if p.requires_grad], "lr": config.lr / 10},
        {"params": list(model.head.parameters()), "lr": config.lr},
    ], weight_decay=config.weight_decay)
    loss_fn, miner = make_loss(config.margin), make_miner(config.mining, config.margin)
    rng = random.Random(f"{config.seed}:{rank}")
    best = BestEpoch(model)
    for epoch in range(1, config.epochs + 1):
        network.train()
        order = list(iter(sampler))
        steps = range(0, len(order) - classes * k + 1, classes * k)
        meter = ProgressMeter(f"epoch {epoch} (steps)", len(steps), progress if rank == 0 else None)
        meter.start()
        total = 0.0
        for start in steps:
            batch = order[start:start + classes * k]
            mine = [i for group in range(rank, classes, world) for i in batch[group * k:(group + 1) * k]]
            images = torch.stack([_load(paths[i], preprocessing, rng) for i in mine]).to(device)
            target = torch.tensor([labels[i] for i in mine], device=device)
            out_embeddings = network(images)
            loss = loss_fn(out_embeddings, target, miner(out_embeddings, target))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item()
            meter.advance()
        if rank == 0:
            results = {f"{s.name}-val": retrieval_metrics(_embed(model, list(s.val.paths), preprocessing), s.val.labels)
                       for s in sources if s.val is not None}
            score = float(np.mean([m["MAP@R"] for m in results.values()])) if results else float(epoch)
            print(f"epoch {epoch:3d}  loss {total / max(1, len(steps)):.4f}  val MAP@R {score:.4f}  "
                  + " | ".join(f"{n}: {format_metrics(m)}" for n, m in results.items()), flush=True)
            best.offer(epoch, score, model, results)
    card = {}
    if rank == 0:
        best.restore(model)
        card = record.card(backbone=options.backbone, dim=spec.dim, preprocessing=preprocessing,
                           data=[source_entry(s) for s in sources],
                           metrics={"validation": {n: rounded(m) for n, m in best.results.items()}},
                           processes=world, best_epoch=best.epoch)
        save_model(options.out, model.head, card, backbone=model.backbone.network)
        print(f"saved {options.out} (best epoch {best.epoch})")
    if world > 1:
        dist.barrier()
    return card


@torch.no_grad()
def _embed_raw(backbone: nn.Module, paths, preprocessing: Preprocessing, device, batch: int = 32) -> np.ndarray:
    """Pretrained pooled features of the training images (the head's centring reference)."""
    backbone.eval()
    chunks = [backbone(torch.stack([_load(p, preprocessing) for p in paths[s:s + batch]]).to(device)).cpu()
              for s in range(0, len(paths), batch)]
    return torch.cat(chunks).numpy()
