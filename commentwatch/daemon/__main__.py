"""``python -m commentwatch.daemon --config FILE``: the same as ``commentwatch run --config FILE``.

Kept for supervisors that start the worker by module; it goes through the
command line's one door, which imports only the ``run`` command.
"""

import sys

from commentwatch.cli import main

# -v belongs to the top-level parser, so it must come before "run" wherever it was given.
verbose = [a for a in sys.argv[1:] if a in ("-v", "--verbose")]
raise SystemExit(main([*verbose, "run", *(a for a in sys.argv[1:] if a not in verbose)]))
