# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""References of the meta1 directory: validation, planning and the calls.

The planning half is pure (no HTTP, no Ansible): it turns the current state
of a reference and what the user asked for into a list of operations and the
state they should lead to. Check mode returns that predicted state; a real run
sends the operations and reads the reference back.

A state is a dict ``{"exists", "account", "reference", "cid", "properties",
"services"}`` where ``services`` holds the *grouped* entries of meta1: one
dict ``{"type", "seq", "host", "hosts", "args"}`` per (type, seq), ``host``
being the ``,``-joined addresses as they are written with ``force``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.errors import InvalidInput
from ansible_collections.openio.sds.plugins.module_utils.names import (
    check_name_lengths, compute_cid, is_addr, is_cid)
from ansible_collections.openio.sds.plugins.module_utils.namespace import DEFAULT_POLICY

string_types = (str,)

# Shown in place of an address the cluster has not chosen yet (check mode).
CHOSEN_BY_CLUSTER = None
_DIFF_VALUE_MAX = 120


# ---------------------------------------------------------------- identity


def reference_identity_spec():
    """Options naming one reference (documented by ``openio.sds.reference``)."""
    return dict(account=dict(type="str"), reference=dict(type="str", aliases=["ref"]),
                cid=dict(type="str"))


# AnsibleModule rules that go with reference_identity_spec().
REFERENCE_IDENTITY_RULES = dict(
    mutually_exclusive=[["cid", "account"], ["cid", "reference"]],
    required_together=[["account", "reference"]],
    required_one_of=[["cid", "account"]],
)


def check_identity(account=None, reference=None, cid=None):
    """Validate how the reference is named; return (account, reference, cid).

    Either ``cid`` alone, or ``account`` and ``reference`` (the cid is then
    computed the way OpenIO does)."""
    if cid is not None and (account is not None or reference is not None):
        raise InvalidInput("give either cid, or account and reference, not both")
    if cid is not None:
        if not is_cid(cid):
            raise InvalidInput("cid must be 64 hexadecimal characters, got %r" % (cid,))
        return None, None, cid.upper()
    if account is None or reference is None:
        raise InvalidInput("name the reference with account and reference, or with cid")
    for label, value in (("account", account), ("reference", reference)):
        if not isinstance(value, string_types) or not value:
            raise InvalidInput("%s must be a non-empty string" % label)
        if "\x00" in value:
            raise InvalidInput("%s must not contain a NUL character" % label)
    too_long = check_name_lengths(account, reference)
    if too_long:
        # The proxy would silently truncate it and work on another reference.
        raise InvalidInput(too_long)
    return account, reference, compute_cid(account, reference)


def location_params(account, reference, cid):
    """Query parameters naming the reference: acct+ref when known, else cid."""
    if account is not None and reference is not None:
        return {"acct": account, "ref": reference}
    return {"cid": cid}


# ---------------------------------------------------------------- validation

def check_properties(properties):
    """Properties the user wants: a dict of non-empty string keys and
    non-empty string values (an empty value deletes the key on the server)."""
    if properties is None:
        return None
    if not isinstance(properties, dict):
        raise InvalidInput("properties must be a dictionary of strings")
    out = {}
    for key, value in properties.items():
        if not isinstance(key, string_types) or not key:
            raise InvalidInput("property names must be non-empty strings, got %r" % (key,))
        if not isinstance(value, string_types):
            raise InvalidInput(
                "property %r must be a string, got %s %r (quote it in YAML)"
                % (key, type(value).__name__, value))
        if value == "":
            raise InvalidInput(
                "property %r has an empty value, which deletes it on the server; "
                "leave it out and use purge_properties to remove it" % key)
        out[key] = value
    return out


def _split_hosts(host):
    if isinstance(host, (list, tuple)):
        parts = []
        for item in host:
            if not isinstance(item, string_types):
                raise InvalidInput("host entries must be strings, got %r" % (item,))
            parts.extend(item.split(","))
    elif isinstance(host, string_types):
        parts = host.split(",")
    else:
        raise InvalidInput("host must be a string or a list of strings, got %r" % (host,))
    return [p.strip() for p in parts]


def check_services(services):
    """Normalise the ``services`` option. Returns the grouped entries and the
    hosts that are not ``IP:PORT`` (candidate service IDs, per type), which the
    caller must check against the conscience."""
    out = []
    maybe_ids = {}
    seen = set()
    for index, item in enumerate(services or []):
        where = "services[%d]" % index
        if not isinstance(item, dict):
            raise InvalidInput("%s must be a dictionary" % where)
        stype = item.get("type")
        if not isinstance(stype, string_types) or not stype:
            raise InvalidInput("%s.type must be a non-empty string" % where)
        hosts = _split_hosts(item.get("host"))
        if not hosts or any(not h for h in hosts):
            raise InvalidInput("%s.host must hold one or more IP:PORT addresses, got %r"
                               % (where, item.get("host")))
        if len(set(hosts)) != len(hosts):
            raise InvalidInput("%s.host lists an address twice: %s" % (where, ",".join(hosts)))
        for h in hosts:
            if not is_addr(h):
                if ":" in h or not _looks_like_id(h):
                    raise InvalidInput("%s.host: %r is not a valid IP:PORT address"
                                       % (where, h))
                maybe_ids.setdefault(stype, set()).add(h)
        seq = item.get("seq", 1)
        if seq is None:
            seq = 1
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise InvalidInput("%s.seq must be an integer of 1 or more, got %r" % (where, seq))
        args = item.get("args")
        if args is None:
            args = ""
        if not isinstance(args, string_types):
            raise InvalidInput("%s.args must be a string" % where)
        if (stype, seq) in seen:
            raise InvalidInput("services lists type %s with seq %d twice" % (stype, seq))
        seen.add((stype, seq))
        out.append(service_entry(stype, seq, hosts, args))
    return sorted(out, key=_entry_key), maybe_ids


def _looks_like_id(value):
    return all(c.isalnum() or c in "-_." for c in value) and not value.replace(".", "").isdigit()


def check_unknown_ids(maybe_ids, known_ids):
    """``known_ids``: type -> set of service IDs from the conscience."""
    for stype in sorted(maybe_ids):
        unknown = sorted(maybe_ids[stype] - set(known_ids.get(stype) or ()))
        if unknown:
            raise InvalidInput(
                "host %s is neither an IP:PORT address nor the service ID of a %s service "
                "known to the conscience" % (", ".join(repr(u) for u in unknown), stype))


def check_types(requested, known_types):
    """Every type the user names must be one the conscience knows."""
    known = set(known_types or ())
    unknown = sorted(t for t in requested if t not in known)
    if unknown:
        raise InvalidInput("unknown service type(s): %s (the conscience knows: %s)"
                           % (", ".join(unknown), ", ".join(sorted(known))))


def check_type_lists(services, link, unlink, renew):
    """A type may be driven by one option only; return every type named."""
    owner = {}
    for option, types in (("services", [e["type"] for e in services]), ("link", link),
                          ("unlink", unlink), ("renew", renew)):
        for stype in types or []:
            if not isinstance(stype, string_types) or not stype:
                raise InvalidInput("%s must list non-empty service types" % option)
            previous = owner.get(stype)
            if previous is not None and previous != option:
                raise InvalidInput("type %s is in both %s and %s; name it in one of them"
                                   % (stype, previous, option))
            owner[stype] = option
    return sorted(owner)


def check_force_body(entry):
    """The body of ``reference/force``: the proxy wants all four keys typed."""
    body = {"seq": entry["seq"], "type": entry["type"], "host": entry["host"],
            "args": entry["args"]}
    if isinstance(body["seq"], bool) or not isinstance(body["seq"], int) or body["seq"] < 1:
        raise InvalidInput("internal: bad seq in %r" % (body,))
    for key in ("type", "host"):
        if not isinstance(body[key], string_types) or not body[key]:
            raise InvalidInput("internal: bad %s in %r" % (key, body))
    if not isinstance(body["args"], string_types):
        raise InvalidInput("internal: bad args in %r" % (body,))
    return body


def check_set_properties_body(changes):
    """``set_properties`` body: explicit keys only (never flush); None deletes."""
    if not changes:
        raise InvalidInput("internal: empty set_properties")
    for key, value in changes.items():
        if not isinstance(key, string_types) or not key:
            raise InvalidInput("internal: bad property name %r" % (key,))
        if value is not None and (not isinstance(value, string_types) or value == ""):
            raise InvalidInput("internal: bad value for property %r" % (key,))
    return {"properties": dict(changes)}


# ---------------------------------------------------------------- services shape

def service_entry(stype, seq, hosts, args=""):
    hosts = list(hosts)
    return {"type": stype, "seq": seq,
            "host": ",".join(hosts) if all(h is not None for h in hosts) and hosts else None,
            "hosts": hosts, "args": args}


def _entry_key(entry):
    return (entry["type"], entry["seq"])


def group_services(srv):
    """Expanded ``srv`` entries (one per address) -> grouped entries."""
    groups = {}
    order = []
    for item in srv or []:
        key = (item.get("type"), item.get("seq"))
        if key not in groups:
            groups[key] = {"hosts": [], "args": item.get("args") or ""}
            order.append(key)
        host = item.get("host")
        for h in (host.split(",") if isinstance(host, string_types) else [host]):
            groups[key]["hosts"].append(h)
    out = [service_entry(k[0], k[1], groups[k]["hosts"], groups[k]["args"]) for k in order]
    return sorted(out, key=_entry_key)


def same_entry(a, b):
    """Same seq, args and set of addresses (order of addresses is not meaningful)."""
    return (a["type"] == b["type"] and a["seq"] == b["seq"] and a["args"] == b["args"]
            and sorted(a["hosts"]) == sorted(b["hosts"]))


def of_type(services, stype):
    return [e for e in services if e["type"] == stype]


# ---------------------------------------------------------------- state

def new_state(account, reference, cid, exists=False, properties=None, services=None):
    return {"exists": exists, "account": account, "reference": reference, "cid": cid,
            "properties": dict(properties or {}), "services": list(services or [])}


def state_from_show(show, properties, account=None, reference=None, cid=None):
    """State from a ``reference/show`` body and the ``get_properties`` map."""
    show = show or {}
    return new_state(show.get("account") or account, show.get("name") or reference,
                     (show.get("cid") or cid or "").upper() or None, exists=True,
                     properties=properties, services=group_services(show.get("srv")))


def apply_op(state, op, policies=None):
    """The state an operation should lead to (prediction for check mode)."""
    state = copy.deepcopy(state)
    kind = op["op"]
    if kind == "create":
        state["exists"] = True
        state["properties"] = dict(op.get("properties") or {})
        state["services"] = []
    elif kind == "destroy":
        state["exists"] = False
        state["properties"] = {}
        state["services"] = []
    elif kind == "force":
        entry = op["entry"]
        state["services"] = sorted(
            [e for e in state["services"] if _entry_key(e) != _entry_key(entry)]
            + [copy.deepcopy(entry)], key=_entry_key)
    elif kind == "unlink":
        state["services"] = [e for e in state["services"] if e["type"] != op["type"]]
        # meta1 also drops the properties named after the type.
        prefix = op["type"] + "."
        state["properties"] = {k: v for k, v in state["properties"].items()
                               if not k.startswith(prefix)}
    elif kind in ("link", "renew"):
        stype = op["type"]
        current = of_type(state["services"], stype)
        policy = (policies or {}).get(stype, DEFAULT_POLICY)
        if kind == "link" and current:
            return state
        if kind == "renew" and current and policy == "KEEP":
            return state
        seq = max([e["seq"] for e in current] or [0]) + 1
        placeholder = service_entry(stype, seq, [CHOSEN_BY_CLUSTER])
        kept = [e for e in state["services"]
                if not (e["type"] == stype and policy == "REPLACE")]
        state["services"] = sorted(kept + [placeholder], key=_entry_key)
    elif kind == "set_properties":
        for key, value in op["properties"].items():
            if value is None:
                state["properties"].pop(key, None)
            else:
                state["properties"][key] = value
    else:
        raise ValueError("unknown operation %r" % (kind,))
    return state


def plan_services(state, desired):
    """Operations for the ``services`` option: per type, force (replace) the
    entries that differ; if meta1 holds a seq the user did not list, unlink the
    type first (there is no way to drop one seq) and force every entry."""
    ops = []
    for stype in sorted(set(e["type"] for e in desired)):
        want = of_type(desired, stype)
        have = of_type(state["services"], stype)
        want_seqs = set(e["seq"] for e in want)
        extra = [e for e in have if e["seq"] not in want_seqs]
        if extra:
            ops.append({"op": "unlink", "type": stype})
            ops.extend({"op": "force", "entry": e} for e in want)
            continue
        by_seq = dict((e["seq"], e) for e in have)
        for e in want:
            if e["seq"] not in by_seq or not same_entry(by_seq[e["seq"]], e):
                ops.append({"op": "force", "entry": e})
    return ops


def plan_properties(current, desired, purge):
    """One ``set_properties`` change set: values to write, None to delete."""
    if desired is None:
        desired = {}
        if not purge:
            return {}
    changes = {}
    for key, value in desired.items():
        if current.get(key) != value:
            changes[key] = value
    if purge:
        for key in current:
            if key not in desired:
                changes[key] = None
    return changes


def plan(state, want, policies=None):
    """Operations to go from ``state`` to what ``want`` asks, and the
    predicted final state. ``want`` keys: state, properties, purge_properties,
    services (grouped), link, unlink, renew, force.

    Raises InvalidInput when the request cannot be met."""
    ops = []
    predicted = copy.deepcopy(state)

    def add(op):
        ops.append(op)
        return apply_op(predicted, op, policies)

    if want.get("state", "present") == "absent":
        if not state["exists"]:
            return ops, predicted
        linked, props = state["services"], state["properties"]
        if (linked or props) and not want.get("force"):
            parts = []
            if linked:
                parts.append("%d linked service(s) (%s)" % (
                    len(linked), ", ".join(sorted(set(e["type"] for e in linked)))))
            if props:
                parts.append("%d propert%s" % (len(props), "y" if len(props) == 1 else "ies"))
            raise InvalidInput(
                "reference %s still has %s; unlink and remove them first, or set force: true "
                "to destroy it with them" % (describe(state), " and ".join(parts)))
        predicted = add({"op": "destroy", "force": bool(linked or props)})
        return ops, predicted

    desired_props = want.get("properties")
    purge = bool(want.get("purge_properties"))
    if not state["exists"]:
        if state.get("account") is None or state.get("reference") is None:
            raise InvalidInput("reference with cid %s does not exist; creating one needs "
                               "account and reference" % state["cid"])
        # The properties travel with the creation: one write.
        predicted = add({"op": "create", "properties": dict(desired_props or {})})
    for op in plan_services(predicted, want.get("services") or []):
        predicted = add(op)
    for stype in want.get("link") or []:
        if not of_type(predicted["services"], stype):
            predicted = add({"op": "link", "type": stype})
    for stype in want.get("unlink") or []:
        if of_type(predicted["services"], stype):
            predicted = add({"op": "unlink", "type": stype})
    for stype in want.get("renew") or []:
        predicted = add({"op": "renew", "type": stype})
    changes = plan_properties(predicted["properties"], desired_props, purge)
    if changes:
        predicted = add({"op": "set_properties", "properties": changes})
    return ops, predicted


def predict_changed(state, ops, policies=None):
    """Whether the operations are predicted to change the reference: every
    planned operation does, except a renew that the policy makes a no-op."""
    for op in ops:
        after = apply_op(state, op, policies)
        if op["op"] != "renew" or after != state:
            return True
        state = after
    return False


def describe(state):
    if state.get("account") is not None and state.get("reference") is not None:
        return "%s/%s" % (state["account"], state["reference"])
    return "cid %s" % state.get("cid")


# ---------------------------------------------------------------- output

def public_state(state, types=None):
    """The state as modules return it (services optionally filtered)."""
    services = [{"type": e["type"], "seq": e["seq"], "host": e["host"],
                 "hosts": list(e["hosts"]), "args": e["args"]}
                for e in state["services"] if not types or e["type"] in types]
    return {"exists": state["exists"], "account": state["account"],
            "reference": state["reference"], "cid": state["cid"],
            "properties": dict(state["properties"]), "services": services}


def diff_view(state):
    """Small readable before/after: properties and one line per linked entry."""
    if not state["exists"]:
        return {"exists": False}
    props = {}
    for key, value in state["properties"].items():
        if len(value) > _DIFF_VALUE_MAX:
            value = value[:_DIFF_VALUE_MAX] + "... (%d chars)" % len(value)
        props[key] = value
    lines = []
    for e in state["services"]:
        hosts = e["host"] if e["host"] is not None else "(chosen by the cluster)"
        line = "%s seq %d: %s" % (e["type"], e["seq"], hosts)
        if e["args"]:
            line += " args=%s" % e["args"]
        lines.append(line)
    return {"exists": True, "properties": props, "services": lines}


# ---------------------------------------------------------------- HTTP

def read_reference(client, account, reference, cid):
    """Current state; ``exists`` False when meta1 does not know it."""
    params = location_params(account, reference, cid)
    shown = client.proxy("GET", "reference/show", params, expect=(404,))
    if shown.status == 404:
        if _status(shown.body) == 406:
            return new_state(account, reference, cid)
        raise _unexpected(shown)
    props = client.proxy("POST", "reference/get_properties", params, json_body=[],
                         idempotent=True, expect=(404,))
    if props.status == 404:
        if _status(props.body) == 406:  # destroyed between the two reads
            return new_state(account, reference, cid)
        raise _unexpected(props)
    return state_from_show(shown.body, (props.body or {}).get("properties") or {},
                           account, reference, cid)


def execute(client, state, ops):
    """Send the operations in order. Returns whether anything changed.

    Only routes that are idempotent on the server are retried: create (a
    retry answers 202), force with replace, unlink, set_properties with
    explicit keys, destroy. link and renew are not."""
    account, reference, cid = state["account"], state["reference"], state["cid"]
    params = location_params(account, reference, cid)
    changed = False
    for op in ops:
        kind = op["op"]
        if kind == "create":
            body = {"properties": op["properties"]} if op["properties"] else None
            if body:
                check_set_properties_body(op["properties"])
            resp = client.proxy("POST", "reference/create",
                                {"acct": account, "ref": reference},
                                **_body_kwargs(body, idempotent=True))
            changed = True
            if resp.status == 202 and op["properties"]:
                # It already existed (created meanwhile): the properties in
                # the body were not applied, so write what still differs.
                current = read_reference(client, account, reference, cid)["properties"]
                extra = plan_properties(current, op["properties"], False)
                if extra:
                    client.proxy("POST", "reference/set_properties", params,
                                 json_body=check_set_properties_body(extra), idempotent=True)
        elif kind == "destroy":
            query = dict(params)
            if op.get("force"):
                query["force"] = "yes"
            client.proxy("POST", "reference/destroy", query, idempotent=True, expect=(404,))
            changed = True
        elif kind == "force":
            body = check_force_body(op["entry"])
            query = dict(params, type=body["type"], replace="yes")
            client.proxy("POST", "reference/force", query, json_body=body, idempotent=True)
            changed = True
        elif kind == "unlink":
            client.proxy("POST", "reference/unlink", dict(params, type=op["type"]),
                         idempotent=True)
            changed = True
        elif kind == "link":
            client.proxy("POST", "reference/link", dict(params, type=op["type"]))
            changed = True
        elif kind == "renew":
            before = of_type(state["services"], op["type"])
            resp = client.proxy("POST", "reference/renew", dict(params, type=op["type"]))
            after = group_services(resp.body if isinstance(resp.body, list) else [])
            if not _same_entries(before, after):
                changed = True
        elif kind == "set_properties":
            client.proxy("POST", "reference/set_properties", params,
                         json_body=check_set_properties_body(op["properties"]),
                         idempotent=True)
            changed = True
        state = apply_op(state, op)
    return changed


def _same_entries(a, b):
    if len(a) != len(b):
        return False
    return all(same_entry(x, y) for x, y in zip(sorted(a, key=_entry_key),
                                                sorted(b, key=_entry_key)))


def _body_kwargs(body, idempotent):
    kwargs = {"idempotent": idempotent}
    if body is not None:
        kwargs["json_body"] = body
    return kwargs


def _status(body):
    return body.get("status") if isinstance(body, dict) else None


def _unexpected(resp):
    body = resp.body
    message = body.get("message") if isinstance(body, dict) else str(body)
    return OioError(message or "unexpected answer", method=resp.method, url=resp.url,
                    http_status=resp.status, status=_status(body))
