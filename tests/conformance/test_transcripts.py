"""Replay every captured 7.3.0 exchange against one simulated lab namespace.

One case per transcript, in capture order (see ``replay.ORDER``). All the
requests are replayed once, in order, by a module fixture; each case then
judges its own answer, so selecting a single case still replays its
prerequisites.
"""
import pytest

from compare import compare
from known_differences import KNOWN_DIFFERENCES
from replay import CONTROL, HttpTarget, SimulatorProcess, ordered_transcripts

TRANSCRIPTS = ordered_transcripts()


def _params():
    out = []
    for t in TRANSCRIPTS:
        marks = []
        if t.name in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(reason=KNOWN_DIFFERENCES[t.name],
                                           strict=True))
        out.append(pytest.param(t, id=t.name, marks=marks))
    return out


@pytest.fixture(scope="module")
def answers():
    sim = SimulatorProcess(preset="lab")
    target = HttpTarget(sim.start())
    out = {}
    try:
        for t in TRANSCRIPTS:
            for step in CONTROL.get(t.name, ()):
                target.control_step(*step)
            out[t.name] = target.send(t)
    finally:
        sim.stop()
    return out


@pytest.mark.parametrize("transcript", _params())
def test_transcript(transcript, answers):
    answer = answers[transcript.name]
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
