"""A reference comment service: the platform's API, synthetic traffic and faults, in one process."""
