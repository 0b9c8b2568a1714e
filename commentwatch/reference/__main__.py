"""``python -m commentwatch.reference``: the same as ``commentwatch reference-service``.

Launchers start the service by module; it goes through the command line's
one door, which imports only the reference service's command.
"""

import sys

from commentwatch.cli import main

raise SystemExit(main(["reference-service", *sys.argv[1:]]))
