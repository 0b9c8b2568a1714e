"""``python -m commentwatch.daemon --config FILE``: ``commentwatch run`` alone.

Same options and behaviour, without importing the rest of the command line
(tests and supervisors that start many workers start them faster this way).
"""

import argparse
import logging
import sys

from commentwatch.config import ConfigError
from commentwatch.daemon_command import register

parser = argparse.ArgumentParser(prog="python -m commentwatch.daemon")
parser.add_argument("-v", "--verbose", action="store_true")
subparsers = parser.add_subparsers(dest="command")
register(subparsers)
args = parser.parse_args(["run", *sys.argv[1:]])
logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
try:
    raise SystemExit(args.handler(args))
except ConfigError as exc:
    print(f"commentwatch: config error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
except KeyboardInterrupt:
    raise SystemExit(130) from None
