"""Replaying the captured requests against the simulator.

The captures carry 1-second timestamps, so several exchanges share a second.
``ORDER`` gives the order inside a second where state makes it matter (it is
the order the lab session must have followed to produce those answers).
``CONTROL`` lists the steps the lab session did outside the captured
exchanges (a meta0 crash and restart, an unlink that was not captured).
"""
import http.client
import json
import os
from urllib.parse import unquote, urlsplit

from oiosim.core import Request
from oiosim.transcripts import load_folder, parse_file

HERE = os.path.dirname(os.path.abspath(__file__))
TRANSCRIPTS = os.path.join(HERE, "transcripts")


class Lab(object):
    """One captured lab: its transcripts, the simulator preset that mirrors
    it, and the addresses to rewrite."""

    def __init__(self, release, folder, preset, proxy, namespace, rdirs, rdir_volumes):
        self.release = release
        self.folder = os.path.join(HERE, folder)
        self.preset = preset
        self.proxy = proxy
        self.namespace = namespace
        self.rdirs = rdirs
        # _RDIR assignments of the lab, as its rdir_assignment_show_* captures show.
        self.rdir_volumes = rdir_volumes


LABS = {
    "7.3.0": Lab("7.3.0", "transcripts", "lab", "127.0.0.1:6000", "OPENIO",
                 ("127.0.0.1:6018", "127.0.0.1:6019", "127.0.0.1:6020"),
                 {"127.0.0.1:6020": [("rawx", "127.0.0.1:6014")],
                  "127.0.0.1:6018": [("meta2", "127.0.0.1:6013")]}),
    "2026.14": Lab("2026.14", "transcripts-2026.14", "lab2026", "127.0.0.1:7000", "OIO2026",
                   ("127.0.0.1:7022", "127.0.0.1:7023", "127.0.0.1:7024"),
                   {"127.0.0.1:7023": [("rawx", "127.0.0.1:7016"), ("meta2", "127.0.0.1:7014")],
                    "127.0.0.1:7024": [("rawx", "127.0.0.1:7018"), ("meta2", "127.0.0.1:7015")],
                    "127.0.0.1:7022": [("rawx", "127.0.0.1:7020")]}),
}
LAB = LABS["7.3.0"]
LAB_PROXY = LAB.proxy
LAB_RDIRS = LAB.rdirs
LAB_RDIR_VOLUMES = LAB.rdir_volumes

ORDER = [
    # 04:39:45
    "reference_create_existing", "reference_create_bad_json",
    "reference_create_missing_ref", "reference_create_no_body",
    "reference_show", "reference_show_by_cid", "reference_show_bad_cid",
    "reference_show_missing_param", "reference_show_unknown", "reference_has",
    "reference_set_properties", "reference_set_properties_bad_json",
    "reference_set_properties_flat_dict", "reference_get_properties",
    "reference_get_properties_no_body", "reference_get_properties_some",
    "reference_get_properties_unknown_ref", "reference_del_properties",
    "reference_del_properties_bad_json", "reference_get_properties_after_del",
    # 04:39:54
    "reference_link_unknown_ref", "reference_link_missing_type",
    "reference_link_unknown_type", "reference_link", "reference_link_again",
    "reference_link_autocreate", "reference_show_after_link",
    "reference_force_bad_json", "reference_force_replace",
    # 04:39:55
    "reference_delete_with_services", "reference_delete_force_with_services",
    "reference_show_after_unlink",
    # 04:40:07
    "reference_force_list_body", "reference_link_for_force",
    # 04:40:08
    "reference_force_unknown_ref", "reference_force", "reference_force_conflict",
    "reference_show_after_force", "reference_force_type_mismatch",
    "reference_force_unregistered_host", "reference_force_restore",
    "reference_renew", "reference_show_after_renew", "reference_force_autocreate",
    "reference_del_all_properties", "reference_get_properties_after_del_all",
    "reference_unlink", "reference_unlink_unknown_ref",
    # 04:40:13
    "reference_show_after_unlink_rdir", "reference_unlink_rawx",
    "reference_delete", "reference_delete_unknown", "reference_show_after_delete",
    # 04:40:23
    "reference_create_with_props", "reference_delete_with_properties",
    "reference_delete_force",
    # 04:40:24 / 04:40:32
    "meta0_force_partial", "meta0_list_after_partial_force",
    "meta0_force_change", "meta0_list_after_change",
    # 04:40:35
    "meta0_force_bad_json", "meta0_force_empty_body", "meta0_force_short_prefix",
    "meta0_force_not_a_list", "meta0_list_while_meta0_crashed",
    # 04:41:00
    "admin_prep_reference_create", "admin_election_status", "admin_election_ping",
    "admin_election_debug", "admin_info", "admin_get_properties",
    "admin_set_properties", "admin_set_properties_bad_json",
    "admin_get_properties_after_set", "admin_set_peers", "admin_has_base",
    "admin_election_sync", "admin_election_leave",
    "admin_election_status_after_leave", "admin_election_status_by_cid",
    "admin_election_status_bad_cid", "admin_election_status_bad_type",
    "admin_election_status_missing_ref", "admin_election_status_missing_type",
    "admin_election_status_unknown_ref", "admin_remove_base",
    "admin_has_base_after_remove",
    # 04:41:01
    "admin_remove_base_without_service_id", "admin_election_sync_after_remove",
    "admin_has_base_after_sync", "admin_election_status_final",
    "proxy_cache_status", "proxy_cache_flush_high", "proxy_cache_flush_low",
    "proxy_cache_flush_local", "service_flush_cache_meta1",
    "service_flush_cache_missing_id", "service_flush_cache_unknown_service",
    # 04:41:17
    "rdir_assignment_show_rawx", "rdir_service_status", "rdir_v1_status",
    "rdir_create_missing_vol", "rdir_create_volume", "rdir_create_volume_again",
    "rdir_chunk_push", "rdir_chunk_push2", "rdir_chunk_push_bad_json",
    "rdir_chunk_push_missing_field", "rdir_chunk_push_unknown_volume_no_create",
    "rdir_chunk_fetch", "rdir_chunk_fetch_limit1", "rdir_chunk_fetch_missing_vol",
    "rdir_chunk_fetch_unknown_volume", "rdir_chunk_status",
    # 04:41:18
    "rdir_admin_show", "rdir_admin_lock", "rdir_admin_show_locked",
    "rdir_admin_lock_again", "rdir_admin_lock_missing_who", "rdir_admin_unlock",
    "rdir_admin_unlock_again", "rdir_admin_incident_get_none",
    "rdir_admin_incident_set", "rdir_admin_incident_set_bad_json",
    "rdir_admin_incident_set_string_date", "rdir_admin_incident_get",
    "rdir_admin_show_after_incident", "rdir_chunk_fetch_rebuild",
    "rdir_chunk_delete", "rdir_chunk_delete_again", "rdir_chunk_delete_with_post",
    "rdir_chunk_fetch_after_delete", "rdir_admin_clear_python_style",
    "rdir_admin_clear_all", "rdir_admin_show_after_clear",
    # 04:41:32
    "rdir_meta2_create", "rdir_meta2_push", "rdir_meta2_push2",
    "rdir_meta2_push_with_extra_headers_field", "rdir_meta2_push_bad_json",
    "rdir_meta2_push_missing_field", "rdir_meta2_fetch", "rdir_meta2_fetch_limit1",
    "rdir_meta2_fetch_prefix", "rdir_meta2_delete", "rdir_meta2_delete_again",
    "rdir_meta2_delete_missing_cid", "rdir_meta2_fetch_after_delete",
    "rdir_meta2_fetch_unknown_volume",
]

# Steps run just before a transcript: (target, method, path, body).
# target "control" is the simulator's control API, "proxy" the proxy.
CONTROL = {
    # The lab unlinked lab_ref1's rdir between these two captures.
    "reference_show_after_unlink": [
        ("proxy", "POST",
         "/v3.0/{ns}/reference/unlink?acct=lab_acct&ref=lab_ref1&type=rdir", None)],
    # This payload crashed the three real meta0 servers.
    "meta0_force_not_a_list": [
        ("control", "PUT", "/_sim/faults", {"meta0_crash_on_bad_payload": True})],
    # They were restarted before the next capture.
    "meta0_list_after_crash_restart": [
        ("control", "POST", "/_sim/meta0/restart", None),
        ("control", "DELETE", "/_sim/faults", None)],
}


def ordered_transcripts(folder=TRANSCRIPTS, lab=None):
    folder = lab.folder if lab is not None else folder
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(load_folder(folder),
                  key=lambda t: (t.captured, rank.get(t.name, len(ORDER)), t.name))


class Answer(object):
    __slots__ = ("status", "reason", "headers", "body", "error")

    def __init__(self, status=None, reason=None, headers=None, body=b"", error=None):
        self.status = status
        self.reason = reason
        self.headers = headers or {}
        self.body = body
        self.error = error


def is_rdir(transcript, lab=LAB):
    return transcript.host in lab.rdirs


# ----------------------------------------------------------------- targets

class HttpTarget(object):
    """A running simulator (``python -m oiosim``), reached over loopback."""

    def __init__(self, info, lab=LAB):
        self.info = info
        self.lab = lab
        self.proxy = _hostport(info["proxy_url"])
        self.control = _hostport(info.get("control_url") or info["proxy_url"])
        self.rdirs = map_rdirs(info.get("rdir") or {}, self._rdir_locations(), lab)
        self.rewrites = [(lab.proxy, self.proxy)]
        self.rewrites += [(lab, real) for lab, real in self.rdirs.items() if lab != real]

    def _rdir_locations(self):
        """Simulated rdir address -> tag.loc, from the simulated conscience."""
        answer = http_call(self.proxy, "GET",
                           "/v3.0/%s/conscience/list?type=rdir" % self.lab.namespace, [], None)
        try:
            return {s["addr"]: s["tags"].get("tag.loc") for s in json.loads(answer.body)}
        except (ValueError, TypeError, KeyError, AttributeError):
            return {}

    def rewrite(self, text):
        for old, new in self.rewrites:
            text = text.replace(old, new)
        return text

    def send(self, transcript):
        host = self.rdirs.get(transcript.host) if is_rdir(transcript, self.lab) else self.proxy
        if host is None:
            return Answer(error="no simulated service for %s" % transcript.host)
        target = self.rewrite(transcript.target)
        body = transcript.request_body
        if body is not None:
            body = self.rewrite(body.decode("utf-8", "surrogateescape")).encode(
                "utf-8", "surrogateescape")
        headers = [(k, v) for k, v in transcript.request_header_list
                   if k.lower() not in ("host", "content-length")]
        return http_call(host, transcript.method, target, headers, body)

    def control_step(self, target, method, path, body):
        host = self.control if target == "control" else self.proxy
        path = path.replace("{ns}", self.lab.namespace)
        payload = None if body is None else json.dumps(body).encode()
        headers = [("Content-Type", "application/json")] if payload else []
        answer = http_call(host, method, path, headers, payload)
        if answer.error or answer.status >= 400:
            raise RuntimeError("control step %s %s failed: %s %s" % (
                method, path, answer.status, answer.error or answer.body[:200]))


class InProcessTarget(object):
    """The rdir services alone, called without sockets. Used while no
    simulator server is available: the proxy captures cannot be replayed."""

    def __init__(self, lab=LAB):
        from oiosim.rdir import RdirService
        self.rdirs = {}
        for addr in lab.rdirs:
            svc = RdirService(addr, addr, release=lab.release)
            for kind, vol in lab.rdir_volumes.get(addr, ()):
                svc.ensure_volume(vol, kind=kind)
            self.rdirs[addr] = svc

    def send(self, transcript):
        svc = self.rdirs.get(transcript.host)
        if svc is None:
            return Answer(error="proxy not simulated in-process")
        path = "/".join(unquote(seg) for seg in transcript.path.split("/"))
        req = Request(transcript.method, path, transcript.raw_query,
                      dict(transcript.request_header_list),
                      transcript.request_body or b"")
        resp = svc.handle(req)
        body = resp.payload()
        return Answer(resp.status, resp.reason, resp.headers, body)

    def control_step(self, target, method, path, body):
        pass


def lab_rdir_locations(lab=LAB):
    """Lab rdir address -> tag.loc, from the captured conscience listing."""
    path = os.path.join(lab.folder, "conscience_list_rdir.txt")
    try:
        services = parse_file(path).response_json()
        return {s["addr"]: s["tags"].get("tag.loc") for s in services}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def map_rdirs(announced, sim_locations=None, lab=LAB):
    """Lab rdir address -> simulator rdir host:port. The simulator announces
    its rdir services by id or by their (random) address; they are matched to
    the lab's by id when the preset kept the lab's, else by location (the
    lab preset keeps the locations), else by order."""
    urls = {key: _hostport(url) for key, url in announced.items()}
    if all(addr in urls for addr in lab.rdirs):
        return {addr: urls[addr] for addr in lab.rdirs}
    lab_locs = lab_rdir_locations(lab)
    by_loc = {}
    for hostport in urls.values():
        loc = (sim_locations or {}).get(hostport)
        if loc:
            by_loc.setdefault(loc, []).append(hostport)
    mapping = {}
    for addr in lab.rdirs:
        found = by_loc.get(lab_locs.get(addr), [])
        if len(found) == 1:
            mapping[addr] = found[0]
    if len(mapping) == len(lab.rdirs):
        return mapping
    return dict(zip(lab.rdirs, urls.values()))


def _hostport(url):
    parts = urlsplit(url if "://" in url else "http://" + url)
    return parts.netloc


def http_call(hostport, method, target, headers, body, timeout=30):
    host, _, port = hostport.rpartition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        elif method in ("POST", "PUT", "DELETE"):
            conn.putheader("Content-Length", "0")
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return Answer(resp.status, resp.reason,
                      {k.lower(): v for k, v in resp.getheaders()}, data)
    except (OSError, http.client.HTTPException) as exc:
        return Answer(error="%s: %s" % (type(exc).__name__, exc))
    finally:
        conn.close()
