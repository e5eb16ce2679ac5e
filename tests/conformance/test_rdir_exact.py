"""The rdir captures, replayed in-process: the simulated rdir must answer
byte for byte what 7.3.0 or 2026.14 answered (status line, paging headers,
body)."""
import pytest

from replay import LABS, InProcessTarget, is_rdir, ordered_transcripts

RDIR = [(release, t) for release, lab in sorted(LABS.items())
        for t in ordered_transcripts(lab=lab) if is_rdir(t, lab)]
_ANSWERS = {}


def answers(release):
    if release not in _ANSWERS:
        target = InProcessTarget(LABS[release])
        _ANSWERS[release] = {t.name: target.send(t) for r, t in RDIR if r == release}
    return _ANSWERS[release]


@pytest.mark.parametrize("release,transcript", RDIR,
                         ids=["%s/%s" % (r, t.name) for r, t in RDIR])
def test_rdir_answer_is_exact(release, transcript):
    answer = answers(release)[transcript.name]
    assert (answer.status, answer.reason) == (transcript.status, transcript.reason)
    assert answer.body == transcript.response_body
    wanted = {k: v for k, v in transcript.response_headers.items()
              if k.startswith("x-oio-") or k in ("content-type", "retry-after")}
    got = {k.lower(): v for k, v in answer.headers.items()
           if k.lower().startswith("x-oio-") or k.lower() in ("content-type", "retry-after")}
    assert got == wanted
