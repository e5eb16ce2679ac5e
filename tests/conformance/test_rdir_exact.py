"""The rdir captures, replayed in-process: the simulated rdir must answer
byte for byte what 7.3.0 answered (status line, paging headers, body)."""
import pytest

from replay import InProcessTarget, is_rdir, ordered_transcripts

RDIR = [t for t in ordered_transcripts() if is_rdir(t)]


@pytest.fixture(scope="module")
def answers():
    target = InProcessTarget()
    return {t.name: target.send(t) for t in RDIR}


@pytest.mark.parametrize("transcript", RDIR, ids=lambda t: t.name)
def test_rdir_answer_is_exact(transcript, answers):
    answer = answers[transcript.name]
    assert (answer.status, answer.reason) == (transcript.status, transcript.reason)
    assert answer.body == transcript.response_body
    wanted = {k: v for k, v in transcript.response_headers.items()
              if k.startswith("x-oio-") or k in ("content-type", "retry-after")}
    got = {k.lower(): v for k, v in answer.headers.items()
           if k.lower().startswith("x-oio-") or k.lower() in ("content-type", "retry-after")}
    assert got == wanted
