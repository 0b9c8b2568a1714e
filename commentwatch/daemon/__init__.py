"""The monitor daemon: wiring, scheduling and polling around sources → judge → act → record."""
