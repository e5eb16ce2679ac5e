"""Start the `large` simulated namespace, list meta1 and rawx services
through the proxy, and measure admin/status throughput with keep-alive.

    .venv/bin/python bench/bench_simulator.py [--requests 65536]

Target: start + both lists under 5 s.
"""
import argparse
import http.client
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "simulator"))

from oiosim.testing import Simulator  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000,
                        help="admin/status requests for the throughput figure")
    args = parser.parse_args()
    t0 = time.time()
    with Simulator(preset="large") as sim:
        t_start = time.time() - t0
        host, port = sim.proxy_url[len("http://"):].split(":")
        conn = http.client.HTTPConnection(host, int(port))

        def get(path):
            conn.request("GET", path, headers={"Connection": "Keep-Alive"})
            resp = conn.getresponse()
            return resp.status, resp.read()

        lists = {}
        for stype in ("meta1", "rawx"):
            t1 = time.time()
            status, body = get("/v3.0/%s/conscience/list?type=%s" % (sim.namespace, stype))
            assert status == 200, status
            lists[stype] = (time.time() - t1, len(json.loads(body)))
        total = time.time() - t0

        n = args.requests
        t2 = time.time()
        for i in range(n):
            # Keep-alive asked, as oio-proxy wants (else it closes each connection).
            conn.request("POST", "/v3.0/%s/admin/status?type=meta1&cid=%04X"
                         % (sim.namespace, i % 65536), headers={"Connection": "Keep-Alive"})
            resp = conn.getresponse()
            resp.read()
        rate_time = time.time() - t2
        conn.close()

    print("start (subprocess, large preset): %.3f s" % t_start)
    for stype, (dt, count) in lists.items():
        print("conscience/list %-5s: %5d services in %.3f s" % (stype, count, dt))
    print("total (start + lists): %.3f s" % total)
    print("admin/status keep-alive: %d requests in %.2f s = %.0f req/s (client included)"
          % (n, rate_time, n / rate_time))
    print("goal start + both lists < 5 s: %s (%.3f s)" % ("met" if total < 5 else "NOT met", total))


if __name__ == "__main__":
    main()
