"""commentwatch: keeps comment sections and danmaku on children's videos safe.

Data flow, one subpackage per stage:
sources → text → detect → decide → act → record, with the daemon, the
reference comment service, measurement and the cli beside them.
"""

__version__ = "0.1.0"
