"""python -m oiosim [--preset NAME | --topology FILE] [--port P] ...

Runs a simulated OpenIO namespace (proxy + rdir services) on 127.0.0.1
until SIGTERM/SIGINT or the TTL expires.
"""
import argparse
import asyncio
import signal
import sys
import time

from . import release, restore, snapshot, topology
from .server import App, write_port_file


def main(argv=None):
    parser = argparse.ArgumentParser(prog="oiosim", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--preset", help="one of: %s" % ", ".join(topology.preset_names()))
    group.add_argument("--topology", help="YAML or JSON topology file")
    group.add_argument("--snapshot", help="a twin of the namespace captured in this file "
                       "by openio.sds.oio_namespace_snapshot")
    parser.add_argument("--namespace", help="override the namespace name")
    parser.add_argument("--release", choices=release.RELEASES,
                        help="answer as this OpenIO SDS release (default: the topology's, "
                        "else %s)" % release.DEFAULT)
    parser.add_argument("--port", type=int, default=0, help="proxy port (0 = a free one)")
    parser.add_argument("--port-file", help="write the URLs here (JSON) once ready")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--profile", default="none",
                        help="latency profile of the proxy: none (answers at once) or real")
    parser.add_argument("--ttl", type=float, default=3600.0,
                        help="stop by itself after this many seconds")
    args = parser.parse_args(argv)

    t0 = time.time()
    if args.snapshot:
        topo = snapshot.to_topology(snapshot.read(args.snapshot))
    else:
        topo = topology.load(args.preset, args.topology)
    if args.namespace:
        topo["namespace"] = args.namespace
    if args.release:
        topo["release"] = args.release
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = App(topo, seed=args.seed, port=args.port, loop=loop, profile=args.profile)
    renamed = restore.restore(app.ns, topo[snapshot.KEY]) if snapshot.KEY in topo else None
    loop.run_until_complete(app.start())
    stop = loop.create_future()

    def _stop(*_):
        if not stop.done():
            stop.set_result(True)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, _stop)
    loop.call_later(args.ttl, _stop)
    if args.port_file:
        info = app.port_info()
        if renamed is not None:
            info["rdir_addresses"] = renamed
        write_port_file(args.port_file, info)
    print("oiosim: namespace %s (OpenIO SDS %s) proxy %s (%d services, ready in %.2fs)" % (
        app.ns.name, app.ns.release, app.proxy_url, len(app.ns.services), time.time() - t0),
        flush=True)
    try:
        loop.run_until_complete(stop)
    finally:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
