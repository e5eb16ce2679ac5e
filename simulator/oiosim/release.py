"""The OpenIO SDS releases the simulator answers as.

``7.3.0`` is the 2022 release of the dead 7.x branch; ``2026.14`` the line
maintained on master (2026.14.2). Where they differ (tests/conformance
replays the captures of both), each route asks ``ns.modern``:

* conscience/list entries carry ``scores`` and ``tag.putlock``/``tag.getlock``
  (``tag.lock`` only when both are locked); conscience/score and
  forward/kill are gone;
* rawx rdir records are ``<cid>|<chunk_id>`` with ``{content_id, mtime, path,
  version}``, and a push must carry all of them; a meta2 index fetch of a
  missing database answers 404 (7.3.0: 400);
* admin/copy is refused when its target is the master (473) or follows
  another master than ``from`` (472), both as HTTP 500;
* admin/set_properties and del_properties answer 204 without a body;
  admin/has bodies are ``<path>:<mtime>``; admin/remove answers
  ``{"deleted": true|false}`` per peer;
* single-target routes refuse several service IDs (400);
* error replies carry ``x-backend-service-id``;
* rdir push and delete (rawx and meta2) take a JSON array of records and
  write it as one batch (7.3.0: ``400 null body``).
"""

LEGACY = "7.3.0"
MODERN = "2026.14"
RELEASES = (LEGACY, MODERN)
DEFAULT = LEGACY

# Routes that act on one service: several IDs in service_id are refused by
# 2026.14 (400 "Only one service can be requested").
SINGLE_TARGET = frozenset(
    ["admin/" + r for r in ("get_properties", "set_properties", "del_properties", "vacuum",
                            "freeze", "enable", "disable", "copy")]
    + ["reference/" + r for r in ("create", "destroy", "link", "renew", "unlink", "force",
                                  "relink", "show", "has", "set_properties", "get_properties",
                                  "del_properties")])
# Routes that 2026.14 no longer serves.
GONE = frozenset([("GET", "conscience/score"), ("POST", "forward/kill")])


def check(name):
    """The release name, normalised ("2026.14.2" is "2026.14"); ValueError
    for an unknown one."""
    text = str(name or DEFAULT).strip()
    if text == MODERN or text.startswith(MODERN + "."):
        return MODERN
    if text in (LEGACY, "7.3"):
        return LEGACY
    raise ValueError("unknown release %r (known: %s)" % (name, ", ".join(RELEASES)))
