"""Modules run in-process against a simulated namespace, as Ansible's own
collections test theirs: ``main()`` reads its arguments from
``patch_module_args``, talks real HTTP to the simulator over loopback, and
its ``exit_json``/``fail_json`` output is the result. What a playbook adds
(module_defaults, loops, registers) is the integration targets' business:
one round trip per module there (tests/integration/targets/round_trip)."""
import contextlib
import importlib
import io
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from ansible.module_utils.common import warnings as ansible_warnings
from ansible.module_utils.testing import patch_module_args


class ModuleResult(dict):
    """The module's result dict, with the keys a test reads most."""

    @property
    def failed(self):
        return bool(self.get("failed"))

    @property
    def changed(self):
        return bool(self.get("changed"))

    @property
    def msg(self):
        return self.get("msg", "")


def run_main(name, args, check=False, diff=False):
    """The result of ``openio.sds.<name>`` run with ``args``."""
    module = importlib.import_module("ansible_collections.openio.sds.plugins.modules." + name)
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    # A module's warnings are gathered per process: each run starts clean.
    for registry in ("_global_warnings", "_global_deprecations"):
        getattr(ansible_warnings, registry, {}).clear()
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit):
            module.main()
    result = ModuleResult(json.loads(out.getvalue()))
    if result.get("warnings"):
        # As the controller shows them: the messages.
        result["warnings"] = list(ansible_warnings.get_warning_messages())
    return result


def _services(meta2, rdir):
    """Services spread over racks: 3 meta0, 6 meta1, ``meta2`` meta2 over
    two racks, 6 rawx with service IDs and, when ``rdir``, 3 rdir."""
    def spread(count, racks, host="host", **extra):
        return dict({"count": count, "racks": racks, "score": 80,
                     "location": "site1.rack{rack}.%s{n}.%%s-{n}" % host}, **extra)
    services = {"meta0": spread(3, 3), "meta1": spread(6, 3), "meta2": spread(meta2, 2),
                "rawx": spread(6, 3, service_id="rawx-{n}")}
    if rdir:
        services["rdir"] = spread(3, 3, host="rdir")
    for stype, spec in services.items():
        spec["location"] = spec["location"] % stype
    return services


# Namespaces several test files ask for by name (``SIM = "four_meta2"``).
SIMS = {
    # Four meta2 over two racks, two copies of each container.
    "four_meta2": {
        "preset": "small_bootstrapped", "services": _services(4, rdir=True),
        "service_update_policy": "meta2=KEEP|2|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|"},
    # Bootstrapped, two meta2, and no rdir yet.
    "without_rdir": {"topology": {
        "namespace": "OPENIO", "meta1_digits": 2, "replicas": 3, "bootstrapped": True,
        "services": _services(2, rdir=False)}},
}


@pytest.fixture
def oio(request, sim_factory):
    """``oio(module, check=False, diff=False, **options)`` against a fresh
    namespace: the test file's ``SIM`` (sim_factory's arguments, or the name
    of one of ``SIMS``), else a bootstrapped ``small`` one. ``oio.sim`` is
    the simulator."""
    settings = getattr(request.module, "SIM", None) or {"preset": "small_bootstrapped"}
    if isinstance(settings, str):
        settings = SIMS[settings]
    return module_runner(sim_factory(**settings))


@pytest.fixture
def oio_bare():
    """``oio_bare(module, **options)``: a module run with the options given
    alone, the connection not filled in."""
    return lambda name, check=False, diff=False, **options: run_main(name, options, check, diff)


@pytest.fixture
def oio_on(sim_factory):
    """``oio_on(**sim_factory arguments)``: a runner on a namespace of its own."""
    return lambda **settings: module_runner(sim_factory(**settings))


def module_runner(sim):
    """A runner whose modules talk to ``sim``, as module_defaults would say."""
    def run(name, check=False, diff=False, **options):
        args = {"proxy_url": sim.proxy_url, "namespace": sim.namespace}
        args.update(options)
        return run_main(name, args, check=check, diff=diff)
    run.sim = sim
    run.converged = lambda name, options, diff=False: converged(run, name, options, diff)
    run.proxy = lambda method, path, body=None, headers=None, **query: proxy_call(
        sim, method, path, body, headers, **query)
    return run


def converged(run, name, options, diff=False):
    """``(check, real, again)``: ``options`` in check mode (which must write
    nothing), for real, and again (which must change nothing)."""
    run.sim.reset_writes()
    check = run(name, check=True, diff=diff, **options)
    assert not check.failed, check.msg
    assert run.sim.writes() == []
    real = run(name, **options)
    again = run(name, **options)
    assert not real.failed and not again.failed, (real.msg, again.msg)
    assert not again.changed, again
    return check, real, again


def proxy_call(sim, method, path, body=None, headers=None, **query):
    """The decoded answer of the simulator's proxy to a request of its own,
    as a test sets the scene behind a module's back."""
    url = "%s/v3.0/%s/%s?%s" % (sim.proxy_url, sim.namespace, path,
                                urllib.parse.urlencode(query, quote_via=urllib.parse.quote))
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw.strip() else None


class RdirRecords(object):
    """Records pushed to and fetched from an rdir directly, as its own
    clients do (``kind``: rawx or meta2)."""

    @staticmethod
    def _post(url, body):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw.strip() else None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()[:500]

    def _url(self, rdir, kind, action, volume):
        return "http://%s/v1/rdir/%s%s?%s" % (rdir, "meta2/" if kind == "meta2" else "", action,
                                              urllib.parse.urlencode({"vol": volume}))

    def push(self, rdir, volume, kind, records):
        for record in records:
            status, answer = self._post(self._url(rdir, kind, "push", volume) + "&create=1",
                                        record)
            assert status == 204, (record, status, answer)

    def fetch(self, rdir, volume, kind):
        status, answer = self._post(self._url(rdir, kind, "fetch", volume), {"limit": 10000})
        if status in (400, 404):
            return []
        assert status == 200, (status, answer)
        return answer["records"] if kind == "meta2" else answer


@pytest.fixture
def rdir_records():
    return RdirRecords()
