"""``commentwatch train`` and ``commentwatch model build``: thin over ``commentwatch.training``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from commentwatch import paths
from commentwatch.cli.options import config_from_args


def configure_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="commentwatch TOML config (model, lexicons, thresholds)")
    parser.add_argument("--labelled", default=str(paths.LABELLED_DIR), help="folder with train.jsonl and dev.jsonl")
    parser.add_argument("--cold", default=str(paths.COLD_DIR), help="folder with COLD train.csv/dev.csv")
    parser.add_argument("--lexicon-dir", help="lexicon folder (default: the config's)")
    parser.add_argument("--model", help="embedding model (default: the config's)")
    parser.add_argument("--out", help="artefact folder (default: the committed classifier)")
    parser.add_argument("--decision-out", help="decision layer folder (default: the committed layer)")
    parser.add_argument("--ngram-out", help="character n-gram model folder (default: the committed model)")
    parser.add_argument("-C", type=float, default=10.0, help="inverse regularisation strength of the abuse head")
    parser.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.training.classifier import TrainOptions, train

    options = TrainOptions(
        labelled=Path(args.labelled), cold=Path(args.cold),
        lexicon_dir=Path(args.lexicon_dir) if args.lexicon_dir else None,
        model=args.model, out=Path(args.out) if args.out else None, C=args.C,
        decision_out=Path(args.decision_out) if args.decision_out else None,
        ngram_out=Path(args.ngram_out) if args.ngram_out else None,
    )
    train(config_from_args(args), options)
    return 0


def configure_model(parser: argparse.ArgumentParser) -> None:
    model_commands = parser.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    builder = model_commands.add_parser("build", help="rebuild the default offline Chinese model")
    builder.add_argument("--out", help="model folder (default: the committed model)")
    builder.add_argument("--lexicon-dir", default=str(paths.LEXICON_DIR))
    builder.add_argument("--labelled", default=str(paths.LABELLED_DIR))
    builder.add_argument("--cold", default=str(paths.COLD_DIR))
    builder.add_argument("--cache-dir", default=str(paths.cache_dir() / "build"),
                         help="teacher vectors are cached here")
    builder.add_argument("--vocabulary", type=int, default=40_000, help="most words in the vocabulary")
    builder.add_argument("--dictionary-words", type=int, default=26_000)
    builder.add_argument("--dimensions", type=int, default=256)
    builder.set_defaults(handler=run_model_build)


def run_model_build(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.training.embedding import ModelBuildOptions, build_model

    options = ModelBuildOptions(
        out=Path(args.out) if args.out else None, lexicon_dir=Path(args.lexicon_dir),
        labelled=Path(args.labelled), cold=Path(args.cold),
        cache_dir=Path(args.cache_dir) if args.cache_dir else None,
        vocabulary=args.vocabulary, dictionary_words=args.dictionary_words, dimensions=args.dimensions,
    )
    info = build_model(options)
    print(json.dumps(info["figures"], indent=2))
    print(f"wrote {options.out or paths.EMBEDDING_MODEL_DIR} (fingerprint {info['fingerprint']}); "
          "retrain the classifier: commentwatch train")
    return 0
