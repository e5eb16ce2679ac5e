"""The audit's page, opened in a real headless browser (Debian's Chromium):
it shows the figures of the simulated namespace, loads nothing from
elsewhere and logs no console error. A screenshot is kept in
build/artifacts/ as an artifact of the run."""
import json
import os
import shutil
import subprocess

import pytest
import requests

from test_roles import meta1_counts, playbook, rdir_addr, rdir_of

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "build", "artifacts")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# No network but loopback here: Chromium's own background connections are off.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def chromium(tmp_path, *args):
    profile = tmp_path / "chromium-profile"
    proc = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=%s" % profile] + list(args),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


@pytest.mark.one_release("2026.14")
@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine (Debian package "
                    "chromium; .ci/run installs it)")
def test_the_page_shows_the_namespace(sim_factory, run_playbook, tmp_path):
    sim = sim_factory(preset="small_bootstrapped")
    down = rdir_addr(sim, rdir_of(sim, "rawx-1"))
    requests.post(sim.control_url + "/services/down", json={"id": down},
                  timeout=30).raise_for_status()
    report = tmp_path / "report"
    result = run_playbook(playbook("audit"), sim, check=True,
                          extra_vars={"oio_audit_report_dir": str(report)})
    assert result.rc == 0, result.failure
    page = report / "report.html"
    data = json.loads((report / "report.json").read_text())

    dom, log = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert "OpenIO SDS directory audit: namespace %s" % sim.namespace in dom
    assert "%d finding(s)" % len(data["findings"]) in dom
    for addr, count in meta1_counts(sim).items():
        bases = count // 256  # digits 2: 256 prefixes per base
        assert "<td>%s</td><td class=\"n\">%d</td>" % (addr, bases) in dom
    assert "256 bases of 3 replicas" in dom
    assert "rdir_down" in dom and "openio.sds.oio_rdir_assignment" in dom
    assert "-e oio_decommission_type=rdir -e oio_decommission_service=%s" % down in dom
    # A page that loads nothing and runs nothing logs nothing to its console.
    console = [line for line in log.splitlines() if "CONSOLE" in line or "net::ERR" in line]
    assert console == []
    # Only the page itself: no script, stylesheet, font or image to fetch.
    text = page.read_text()
    assert "<script" not in text and "src=" not in text and "href=" not in text

    os.makedirs(ARTIFACTS, exist_ok=True)
    shot = os.path.join(ARTIFACTS, "audit-report.png")
    chromium(tmp_path, "--window-size=1100,1600", "--screenshot=%s" % shot, page.as_uri())
    assert os.path.getsize(shot) > 10000
