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
# -v belongs to the top-level parser, so it must come before "run" wherever it was given.
verbose = [a for a in sys.argv[1:] if a in ("-v", "--verbose")]
args = parser.parse_args([*verbose, "run", *(a for a in sys.argv[1:] if a not in verbose)])
logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")
try:
    raise SystemExit(args.handler(args))
except ConfigError as exc:
    print(f"commentwatch: config error: {exc}", file=sys.stderr)
    raise SystemExit(2) from None
except KeyboardInterrupt:
    raise SystemExit(130) from None
