"""Minimal stand-in used only while ``oiosim.rdir`` is absent: it knows
volume databases (create / show / status) and nothing else."""
from .core import Response, error


class RdirService(object):

    def __init__(self, service_id, addr):
        self.service_id = service_id
        self.addr = addr
        self.volumes = {}

    def handle(self, req):
        vol = req.query.get("vol")
        if req.path == "/status":
            return Response(200, {"opened_db_count": len(self.volumes)})
        if req.path in ("/v1/rdir/create", "/v1/rdir/meta2/create") and req.method == "POST":
            if not vol:
                return error(400, 400, "Missing volume id")
            self.volumes.setdefault(vol, {})
            return Response(201)
        if req.path in ("/v1/rdir/admin/show", "/v1/status"):
            if vol not in self.volumes:
                return error(404, 404, "DB not found")
            return Response(200, {})
        return error(404, 400, "Route not managed")
