"""Transcripts the simulator is known not to reproduce, with the reason.

Each entry is expected to fail (strict xfail): when one starts passing, the
suite says so and the entry must go. Reasons starting with "simulator:" are
findings against the simulated proxy, to be fixed there.
"""

KNOWN_DIFFERENCES = {
}
