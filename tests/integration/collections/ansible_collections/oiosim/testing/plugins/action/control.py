# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oiosim.testing.control: one request to the simulator's control API.

Runs on the controller (no module is sent), so the write-log checks that
every target makes after each check-mode task cost a few milliseconds.

  - oiosim.testing.control: {writes: none}      # fail unless the write log is empty
  - oiosim.testing.control: {writes: reset}     # forget what was written so far
  - oiosim.testing.control: {faults: {...}}     # replace the fault rules ({} clears them)
  - oiosim.testing.control: {path: services/down, method: POST, body: {...}}

The simulator's address is the play's ``sim_control_url``; the answer's JSON
is returned as ``json``, its status as ``status``.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

SHORTHANDS = {"writes": {"none": ("GET", "writes"), "reset": ("DELETE", "writes")}}


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request("%s/%s" % (base.rstrip("/"), path.lstrip("/")), data=data,
                                 method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw.strip() else None
    except urllib.error.HTTPError as exc:
        raise AnsibleActionFail("%s %s: HTTP %s %s" % (method, path, exc.code, exc.read()[:500]))


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("writes", "faults", "path", "method", "body"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        base = (task_vars or {}).get("sim_control_url")
        if not base:
            raise AnsibleActionFail("sim_control_url is not set: the play does not talk to a simulator")
        base = self._templar.template(base)
        if "writes" in args:
            if args["writes"] not in SHORTHANDS["writes"]:
                raise AnsibleActionFail("writes: none or reset, not %r" % (args["writes"],))
            method, path = SHORTHANDS["writes"][args["writes"]]
            body = None
        elif "faults" in args:
            method, path, body = ("PUT", "faults", args["faults"]) if args["faults"] else ("DELETE", "faults", None)
        elif "path" in args:
            method, path, body = args.get("method", "GET"), args["path"], args.get("body")
        else:
            raise AnsibleActionFail("give one of writes, faults or path")
        status, doc = call(base, method, path, body)
        result.update(status=status, json=doc, changed=False)
        if args.get("writes") == "none" and doc["writes"]:
            result.update(failed=True, msg="write requests reached the cluster: %s" % doc["writes"])
        return result
