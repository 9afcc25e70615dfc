"""What a training run is asked to do: ``HeadConfig`` and ``TrainOptions``.

``commands.py`` builds a ``TrainOptions`` from the ``album train`` command
line (the only place that sees argparse); the training code takes the
options object.  Options check themselves when made, so a user's mistake (a
model file not ending in ``.safetensors``, an unknown view, a validation
fraction outside 0..1) is a ``UserFacingError`` before any work starts.
``command_line()`` is the canonical ``album train`` command (every option
that shapes the model spelled out) recorded in the model card, so the card's
command retrains the same model whatever the defaults later become.
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass, field
from pathlib import Path

from album.errors import UserFacingError
from album.vision.defaults import DEFAULT_BACKBONE

DEFAULT_VIEWS = ("center", "flip", "aug0", "aug1")
MODES = ("head", "finetune")


@dataclass(frozen=True)
class HeadConfig:
    """Defaults: the settings of the shipped default head, chosen on validation classes."""

    epochs: int = 10
    classes_per_batch: int = 16
    samples_per_class: int = 8
    margin: float = 0.1
    mining: str = "semihard"
    lr: float = 1e-4
    weight_decay: float = 1e-3
    preserve: float = 3.0
    hidden: int = 256
    dropout: float = 0.1
    power: float = 0.5
    whiten: float = 0.5
    seed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TrainOptions:
    """One ``album train`` run: labelled ``data`` (optionally a second set to ``mix`` in) or an
    ``unlabeled`` folder, the classes of each, the mode, and the head's ``config``."""

    out: Path
    data: str | None = None
    train_classes: str | None = None
    test_classes: str | None = None
    mix: str | None = None
    mix_train_classes: str | None = None
    mix_test_classes: str | None = None
    unlabeled: str | None = None
    mode: str = "head"
    backbone: str = DEFAULT_BACKBONE
    views: tuple[str, ...] = DEFAULT_VIEWS
    val_fraction: float = 0.2
    config: HeadConfig = field(default_factory=HeadConfig)
    #: finetune only: the crop size to train and embed at (default: the backbone's)
    crop: int | None = None
    #: finetune only: images per step
    batch_size: int = 64
    #: feature cache folder (None: no cache)
    cache: Path | None = None
    #: few-shot from a model with a head (``default``): each class of DATA is one of the user's subjects
    base: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        from album.vision.preprocess import check_views  # imports torch: not when the parser is built

        object.__setattr__(self, "views", tuple(check_views(list(self.views))))
        if bool(self.data) == bool(self.unlabeled):
            raise UserFacingError("give either DATA (a labelled folder) or --unlabeled FOLDER")
        if self.out.suffix != ".safetensors":
            raise UserFacingError(f"--out must name a .safetensors file, not {self.out}")
        if self.mode not in MODES:
            raise UserFacingError(f"unknown mode {self.mode!r}: use head or finetune")
        if not 0 <= self.val_fraction < 1:
            raise UserFacingError(f"--val-fraction must be at least 0 and below 1, not {self.val_fraction}")

    @property
    def seed(self) -> int:
        return self.config.seed

    def command_line(self) -> str:
        """``album train`` with every option that shapes the model spelled out."""
        words = ["album", "train"] + ([self.data] if self.data else []) + ["--out", str(self.out)]
        for option in ("train_classes", "test_classes", "mix", "mix_train_classes", "mix_test_classes",
                       "unlabeled", "crop", "base"):
            if getattr(self, option) is not None:
                words += [f"--{option.replace('_', '-')}", str(getattr(self, option))]
        words += ["--mode", self.mode, "--backbone", self.backbone]
        if self.mode == "head":
            words += ["--views", ",".join(self.views)]
        else:
            words += ["--batch-size", str(self.batch_size)]
        c = self.config
        for option, value in (("val-fraction", self.val_fraction), ("epochs", c.epochs),
                              ("batch-classes", c.classes_per_batch), ("batch-samples", c.samples_per_class),
                              ("margin", c.margin), ("mining", c.mining), ("lr", c.lr),
                              ("weight-decay", c.weight_decay), ("preserve", c.preserve), ("hidden", c.hidden),
                              ("dropout", c.dropout), ("power", c.power), ("whiten", c.whiten), ("seed", c.seed)):
            words += [f"--{option}", str(value)]
        return shlex.join(words)
