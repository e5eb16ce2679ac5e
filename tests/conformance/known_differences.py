"""Transcripts the simulator is known not to reproduce, with the reason.

Each entry is expected to fail (strict xfail): when one starts passing, the
suite says so and the entry must go. Reasons starting with "simulator:" are
findings against the simulated proxy, to be fixed there.
"""

KNOWN_DIFFERENCES = {
}

# Reason used for every proxy capture while no simulator server exists.
NO_SERVER = "no simulator server (oiosim/__main__.py and presets/lab.yaml): proxy not replayed"
