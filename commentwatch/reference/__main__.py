"""``python -m commentwatch.reference``: the reference service alone.

Same options as ``commentwatch reference-service``, without importing the
rest of the command line (tests start many of these).
"""

import argparse
import logging

from commentwatch.reference.command import add_service_arguments, run_service

parser = argparse.ArgumentParser(prog="python -m commentwatch.reference")
add_service_arguments(parser)
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
raise SystemExit(run_service(parser.parse_args()))
