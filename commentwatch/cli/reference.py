"""``commentwatch reference-service``, ``traffic`` and ``reference-probe``: the stand-in comment service."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict

from commentwatch.errors import InputError

TOKEN_ENV = "COMMENTWATCH_REFERENCE_TOKEN"


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text}")
    return value


def _token(args: argparse.Namespace) -> str:
    token = args.token or os.environ.get(TOKEN_ENV, "")
    if not token:
        raise InputError(f"give --token or set {TOKEN_ENV}")
    return token


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one (default 8765)")
    parser.add_argument("--token", help=f"bearer token clients must send (else ${TOKEN_ENV})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated traffic (default 0)")
    parser.add_argument("--rate", type=_non_negative, default=0.0, help="generated comments+danmaku per second (default 0)")
    parser.add_argument("--videos", type=_count, default=12, help="videos in the catalogue (default 12)")
    parser.add_argument("--prefill", type=_count, default=0, help="generated items to post before serving")
    parser.add_argument("--offending-share", type=_share, default=0.05, help="share of generated items that offend (default 0.05)")
    parser.add_argument("--danmaku-share", type=_share, default=0.5, help="share of generated items that are danmaku (default 0.5)")
    faults = parser.add_argument_group("standing faults (each call of the public API, by probability)")
    faults.add_argument("--fault-error-rate", type=_share, default=0.0, help="answer 500")
    faults.add_argument("--fault-delay-rate", type=_share, default=0.0, help="delay the answer by --fault-delay-s")
    faults.add_argument("--fault-delay-s", type=_non_negative, default=10.0, help="delay for --fault-delay-rate (default 10)")
    faults.add_argument("--fault-429-rate", type=_share, default=0.0, help="answer 429 with Retry-After")
    faults.add_argument("--fault-retry-after", type=int, default=1, help="Retry-After seconds for --fault-429-rate (default 1)")
    faults.add_argument("--fault-malformed-rate", type=_share, default=0.0, help="cut JSON and XML bodies in half")


def options_from_args(args: argparse.Namespace):
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.reference.service import ServiceOptions

    faults = []
    if args.fault_error_rate:
        faults.append({"mode": "error", "probability": args.fault_error_rate})
    if args.fault_delay_rate:
        faults.append({"mode": "delay", "probability": args.fault_delay_rate, "delay_s": args.fault_delay_s})
    if args.fault_429_rate:
        faults.append({"mode": "rate_limit", "probability": args.fault_429_rate, "retry_after": args.fault_retry_after})
    if args.fault_malformed_rate:
        faults.append({"mode": "malformed_json", "probability": args.fault_malformed_rate})
        faults.append({"mode": "malformed_xml", "probability": args.fault_malformed_rate})
    return ServiceOptions(
        host=args.host,
        port=args.port,
        token=_token(args),
        seed=args.seed,
        rate=args.rate,
        videos=args.videos,
        prefill=args.prefill,
        offending_share=args.offending_share,
        danmaku_share=args.danmaku_share,
        faults=tuple(faults),
    )


def configure_reference_service(parser: argparse.ArgumentParser) -> None:
    parser.description = ("A stand-in for a platform's comment service: the API in deploy/openapi.yaml, "
                          "synthetic traffic with ground truth, and fault injection.")
    add_service_arguments(parser)
    parser.set_defaults(handler=run_service)


def run_service(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.reference.service import serve

    asyncio.run(serve(options_from_args(args)))
    return 0


def configure_traffic(traffic: argparse.ArgumentParser) -> None:
    traffic.add_argument("--url", default="http://127.0.0.1:8765", help="the reference service")
    traffic.add_argument("--token", help=f"bearer token (else ${TOKEN_ENV})")
    traffic.add_argument("--rate", type=_non_negative, help="new rate in items per second (0 stops)")
    traffic.add_argument("--post", type=_count, help="post this many generated items at once")
    traffic.set_defaults(handler=run_traffic)


def run_traffic(args: argparse.Namespace) -> int:
    """Steer a running reference service's traffic generator."""
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.reference.steer import steer_traffic

    change: dict = {}
    if args.rate is not None:
        change["rate"] = args.rate
    if args.post is not None:
        change["post"] = args.post
    stats = asyncio.run(steer_traffic(args.url, _token(args), change))
    stats.pop("requests", None)
    json.dump(stats, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def configure_reference_probe(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", default="http://127.0.0.1:8765", help="the reference service")
    parser.add_argument("--token", help=f"bearer token (else ${TOKEN_ENV})")
    parser.add_argument("--seconds", type=_non_negative, default=15.0, help="how long to measure (default 15)")
    parser.add_argument("--hide-every", type=_count, default=0, help="also hide one item in N read (default: none)")
    parser.add_argument("--danmaku-format", choices=("json", "xml"), default="json")
    parser.set_defaults(handler=run_reference_probe)


def run_reference_probe(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.reference.probe import probe

    report = asyncio.run(probe(args.url, _token(args), seconds=args.seconds, hide_every=args.hide_every,
                               danmaku_format=args.danmaku_format))
    print(json.dumps(asdict(report), indent=2))
    return 0
