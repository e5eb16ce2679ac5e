"""Start a simulated namespace as a subprocess and drive its control API.

    with Simulator(preset="small") as sim:
        urllib.request.urlopen(sim.proxy_url + "/v3.0/OPENIO/conscience/list?type=meta1")
        assert sim.writes() == []
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Simulator(object):

    def __init__(self, preset=None, topology=None, namespace=None, seed=0, ttl=900,
                 port=0, python=None, start_timeout=30.0, profile=None, release=None):
        self.preset = preset
        self.topology = topology
        self._ns_override = namespace
        self.seed = seed
        self.ttl = ttl
        self.port = port
        self.python = python or sys.executable
        self.start_timeout = start_timeout
        self.profile = profile
        self.release = release
        self.proc = None
        self.info = None
        self._tmpdir = None

    # ------------------------------------------------------------------ lifecycle
    def start(self):
        self._tmpdir = tempfile.mkdtemp(prefix="oiosim-")
        port_file = os.path.join(self._tmpdir, "port.json")
        cmd = [self.python, "-m", "oiosim", "--port-file", port_file,
               "--port", str(self.port), "--ttl", str(self.ttl)]
        if self.seed is not None:
            cmd += ["--seed", str(self.seed)]
        if self.profile:
            cmd += ["--profile", self.profile]
        if self._ns_override:
            cmd += ["--namespace", self._ns_override]
        if self.release:
            cmd += ["--release", self.release]
        if self.topology is not None:
            path = self.topology
            if isinstance(path, dict):
                path = os.path.join(self._tmpdir, "topology.json")
                with open(path, "w") as fh:
                    json.dump(self.topology, fh)
            cmd += ["--topology", path]
        elif self.preset:
            cmd += ["--preset", self.preset]
        env = dict(os.environ)
        env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
        self._log = open(os.path.join(self._tmpdir, "sim.log"), "w+")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if os.path.exists(port_file):
                try:
                    with open(port_file) as fh:
                        self.info = json.load(fh)
                    return self
                except ValueError:
                    pass  # half-written: read it again
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self._log.seek(0)
        out = self._log.read()
        self.stop()
        raise RuntimeError("simulator did not start: %s" % out[-2000:])

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------------ properties
    @property
    def proxy_url(self):
        return self.info["proxy_url"]

    @property
    def control_url(self):
        return self.info["control_url"]

    @property
    def rdir_urls(self):
        return dict(self.info["rdir"])

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def namespace(self):
        return self.info["namespace"]

    # ------------------------------------------------------------------ control API
    def _call(self, method, route, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.control_url + route, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError("%s %s: %s %s" % (method, route, exc.code, exc.read()[:500]))
        return json.loads(raw) if raw else None

    def writes(self):
        return self._call("GET", "/writes")["writes"]

    def reset_writes(self):
        self._call("DELETE", "/writes")

    def stats(self):
        return self._call("GET", "/stats")

    def reset_stats(self):
        self._call("DELETE", "/stats")

    def faults(self):
        return self._call("GET", "/faults")

    def set_faults(self, faults):
        return self._call("PUT", "/faults", faults)

    def clear_faults(self):
        return self._call("DELETE", "/faults")

    def add_service(self, spec):
        return self._call("POST", "/services", spec)

    def _key(self, ident):
        return {"addr": ident} if isinstance(ident, str) and ":" in ident and \
            ident.replace(".", "").replace(":", "").isdigit() else {"id": ident}

    def service_down(self, ident):
        return self._call("POST", "/services/down", self._key(ident))

    def service_up(self, ident):
        return self._call("POST", "/services/up", self._key(ident))

    def remove_service(self, ident):
        from urllib.parse import quote
        return self._call("DELETE", "/services?id=" + quote(ident, safe=""))

    def restart_meta0(self):
        return self._call("POST", "/meta0/restart")

    def state(self):
        return self._call("GET", "/state")

    def seed_data(self, **spec):
        """Containers and index records in use (control API ``seed``)."""
        return self._call("POST", "/seed", spec)

    def index(self):
        """Each volume's rdir and records (control API ``index``)."""
        return self._call("GET", "/index")

    def meta1_bases(self, service=""):
        """Of every meta1 base: held by ``service``, without a master among
        its meta0 peers, with other sys.peers (control API ``meta1``)."""
        from urllib.parse import quote
        return self._call("GET", "/meta1?service=" + quote(service, safe=""))

    def set_profile(self, profile):
        """A profile name ("real", "none") or a custom profile document."""
        body = {"name": profile} if isinstance(profile, str) else profile
        return self._call("PUT", "/profile", body)
