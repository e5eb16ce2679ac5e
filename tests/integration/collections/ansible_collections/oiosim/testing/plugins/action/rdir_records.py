# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oiosim.testing.rdir_records: put records into an rdir, or read them
back, through the rdir's own API, the way rawx and meta2 services do.

  - oiosim.testing.rdir_records: {rdir: ADDR, volume: VOL, kind: rawx, push: [...]}
  - oiosim.testing.rdir_records: {rdir: ADDR, volume: VOL, kind: meta2}   # -> records

Runs on the controller: seeding 25 records is one task, not 25 module runs.
A fetch reads one page of up to 10,000 records (the targets stay far below);
a volume the rdir does not know reads as no record.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw.strip() else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:500]


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("rdir", "volume", "kind", "push"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        kind = args.get("kind", "rawx")
        if kind not in ("rawx", "meta2") or not args.get("rdir") or not args.get("volume"):
            raise AnsibleActionFail("give rdir, volume and kind (rawx or meta2)")
        base = "http://%s/v1/rdir/%s" % (args["rdir"], "meta2/" if kind == "meta2" else "")
        query = urllib.parse.urlencode({"vol": args["volume"]})
        if "push" in args:
            for record in args["push"]:
                status, answer = post("%spush?%s&create=1" % (base, query), record)
                if status != 204:
                    raise AnsibleActionFail("push %r: HTTP %s %s" % (record, status, answer))
            result.update(changed=True, pushed=len(args["push"]))
            return result
        status, answer = post("%sfetch?%s" % (base, query), {"limit": 10000})
        if status in (400, 404):
            records = []
        elif status != 200:
            raise AnsibleActionFail("fetch: HTTP %s %s" % (status, answer))
        else:
            records = answer["records"] if kind == "meta2" else answer
        result.update(changed=False, records=records)
        return result
