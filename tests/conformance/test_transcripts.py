"""Replay every captured exchange, of 7.3.0 and of 2026.14, against one
simulated lab namespace of the same release.

One case per transcript, in capture order (see ``replay.ORDER``). All the
requests of a release are replayed once, in order, by a fixture; each case
then judges its own answer, so selecting a single case still replays its
prerequisites.
"""
import pytest

from compare import compare
from known_differences import KNOWN_DIFFERENCES
from oiosim.testing import Simulator
from replay import CONTROL, LABS, HttpTarget, ordered_transcripts

TRANSCRIPTS = {release: ordered_transcripts(lab=lab) for release, lab in LABS.items()}
_ANSWERS = {}


def _params():
    out = []
    for release, transcripts in sorted(TRANSCRIPTS.items()):
        for t in transcripts:
            marks = []
            key = "%s/%s" % (release, t.name)
            if key in KNOWN_DIFFERENCES:
                marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[key], strict=True))
            out.append(pytest.param(release, t, id=key, marks=marks))
    return out


def replay_all(release):
    """The answers of the simulator of ``release`` to its lab's captures,
    replayed once per test process."""
    if release not in _ANSWERS:
        lab = LABS[release]
        sim = Simulator(preset=lab.preset, seed=None, ttl=600, start_timeout=60)
        target = HttpTarget(sim.start().info, lab)
        out = {}
        try:
            for t in TRANSCRIPTS[release]:
                for step in CONTROL.get(t.name, ()):
                    target.control_step(*step)
                out[t.name] = target.send(t)
        finally:
            sim.stop()
        _ANSWERS[release] = out
    return _ANSWERS[release]


@pytest.mark.parametrize("release,transcript", _params())
def test_transcript(release, transcript):
    answer = replay_all(release)[transcript.name]
    assert answer.error is None, answer.error
    problems = compare(transcript, answer.status, answer.headers, answer.body)
    # Over HTTP the transport must match too: the captured requests did not
    # ask for keep-alive, and 7.3.0 answered Connection: Close to each.
    expected = transcript.response_headers.get("connection")
    got = dict((k.lower(), v) for k, v in answer.headers.items()).get("connection")
    if expected is not None and (got or "").lower() != expected.lower():
        problems.append("header connection: expected %s, got %s" % (expected, got))
    assert not problems, "%s %s\n  %s" % (transcript.method, transcript.target,
                                          "\n  ".join(problems))
