"""The ``album train`` and ``album eval`` command lines.

``register(subparsers)`` adds both to the main ``album`` parser; each sets
``handler(args) -> exit code``.  This is the only module that sees argparse:
``album train`` turns its command line into a ``TrainOptions`` (whose
canonical command line goes into the model card) and hands the training code
that object and a terminal progress display.  A user's mistake (a bad class
range, an empty folder, a missing model) is a ``UserFacingError``: printed
as a plain message, exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from album.terminal_progress import TerminalProgress
from album.errors import UserFacingError
from album.paths import LibraryPaths
from album.vision.onnx_runtime import require_torch
from album.vision.options import DEFAULT_VIEWS, MODES, HeadConfig, TrainOptions


def _cache(args) -> Path:
    if getattr(args, "cache", None):
        return Path(args.cache)
    return LibraryPaths.resolve(getattr(args, "library", None)).features


def register(subparsers) -> None:
    defaults = HeadConfig()
    train = subparsers.add_parser(
        "train", help="train an embedding model with triplet loss",
        description="Train an embedding head (or, with --mode finetune, the whole backbone) with triplet loss "
                    "on a labelled folder (one subfolder per class), CUB-200-2011 or Cars196.")
    train.add_argument("data", nargs="?", help="labelled image folder (omit with --unlabeled)")
    train.add_argument("--out", required=True, help="model file to write (.safetensors; its card goes beside it)")
    train.add_argument("--train-classes", help="class numbers to train on, e.g. 000-049 (default: standard split or all)")
    train.add_argument("--test-classes", help="class numbers measured after training, never used for choices")
    train.add_argument("--mix", help="a second labelled folder mixed into training (e.g. general photos)")
    train.add_argument("--mix-train-classes", help="class numbers of --mix to train on (default: all)")
    train.add_argument("--mix-test-classes", help="class numbers of --mix measured after training")
    train.add_argument("--unlabeled", help="a folder of unlabelled photos: self-supervised triplets")
    train.add_argument("--mode", choices=MODES, default="head",
                       help="head: frozen backbone, head on cached features; finetune: whole backbone (GPU)")
    train.add_argument("--backbone", default="efficientnet_lite0")
    train.add_argument("--views", default=",".join(DEFAULT_VIEWS), help="cached views per image for head training")
    train.add_argument("--val-fraction", type=float, default=0.2, help="fraction of training classes held out")
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-classes", type=int, default=defaults.classes_per_batch, help="P classes per batch")
    train.add_argument("--batch-samples", type=int, default=defaults.samples_per_class, help="K samples per class")
    train.add_argument("--margin", type=float, default=defaults.margin)
    train.add_argument("--mining", choices=("semihard", "hard", "batchhard", "all"), default=defaults.mining)
    train.add_argument("--lr", type=float, default=defaults.lr)
    train.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    train.add_argument("--preserve", type=float, default=defaults.preserve,
                       help="weight of the term keeping similarities close to the pretrained space")
    train.add_argument("--hidden", type=int, default=defaults.hidden)
    train.add_argument("--dropout", type=float, default=defaults.dropout)
    train.add_argument("--power", type=float, default=defaults.power,
                       help="power normalisation of the features before the head (0.5: signed square root)")
    train.add_argument("--whiten", type=float, default=defaults.whiten,
                       help="PCA-whitening exponent fitted on training features (0: none, 1: full)")
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--crop", type=int, help="finetune: train and embed at this crop size instead")
    train.add_argument("--batch-size", type=int, default=64, help="finetune: images per step (P*K is rounded to it)")
    train.add_argument("--cache", help="feature cache folder (default: the library's)")
    train.add_argument("--base", help="few-shot: fine-tune this model (default) on a few photos per subfolder, "
                                      "as album personalize does with a library's groups")
    train.set_defaults(handler=train_command)

    evaluate = subparsers.add_parser(
        "eval", help="measure retrieval (Recall@K, mAP, MAP@R, NDCG@10)",
        description="Leave-one-out retrieval on the test classes of a labelled set.")
    evaluate.add_argument("data", help="labelled image folder, CUB-200-2011 or Cars196")
    evaluate.add_argument("--model", dest="eval_model", metavar="MODEL",
                          help="default, pretrained, histogram, a backbone name or a model file "
                               "(default: album's --model, else default)")
    evaluate.add_argument("--test-classes", help="class numbers to evaluate (default: standard test split or all)")
    evaluate.add_argument("--json", help="write the metrics to this JSON file")
    evaluate.add_argument("--cache", help="feature cache folder (default: the library's)")
    evaluate.set_defaults(handler=eval_command)


def train_options(args) -> TrainOptions:
    """The parsed ``album train`` command line as a ``TrainOptions`` (the only use of argparse's namespace)."""
    config = HeadConfig(epochs=args.epochs, classes_per_batch=args.batch_classes,
                        samples_per_class=args.batch_samples, margin=args.margin, mining=args.mining, lr=args.lr,
                        weight_decay=args.weight_decay, preserve=args.preserve, hidden=args.hidden,
                        dropout=args.dropout, power=args.power, whiten=args.whiten, seed=args.seed)
    return TrainOptions(
        out=Path(args.out), data=args.data, train_classes=args.train_classes, test_classes=args.test_classes,
        mix=args.mix, mix_train_classes=args.mix_train_classes, mix_test_classes=args.mix_test_classes,
        unlabeled=args.unlabeled, mode=args.mode, backbone=args.backbone,
        views=tuple(v.strip() for v in args.views.split(",") if v.strip()), val_fraction=args.val_fraction,
        config=config, crop=args.crop, batch_size=args.batch_size, cache=_cache(args), base=args.base)


def train_command(args) -> int:
    if bool(args.data) == bool(args.unlabeled):
        print("album train: give either DATA (a labelled folder) or --unlabeled FOLDER", file=sys.stderr)
        return 2
    try:
        require_torch("training a model")
        from album.vision import training

        with TerminalProgress() as progress:
            training.run(train_options(args), progress)
    except UserFacingError as exc:
        print(f"album train: {exc}", file=sys.stderr)
        return 1
    return 0


def eval_command(args) -> int:
    try:
        require_torch("evaluating a model")
        from album.vision.evaluate import run_eval

        model = args.eval_model or getattr(args, "model", None) or "default"
        with TerminalProgress() as progress:
            run_eval(args.data, model, args.test_classes, _cache(args), args.json, progress)
    except UserFacingError as exc:
        print(f"album eval: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run ``train`` or ``eval`` without the rest of the ``album`` command line."""
    parser = argparse.ArgumentParser(prog="album")
    parser.add_argument("--library", help="library folder")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
