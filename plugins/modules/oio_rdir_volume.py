#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_rdir_volume
short_description: Administer the database of one volume on its rdir
version_added: 1.0.0
description:
  - Manages the reverse-index database that an rdir service keeps for one rawx volume
    or one meta2 service, on the rdir the volume is assigned to (reference
    C(_RDIR/<volume id>); with several rdir stored, the first one).
  - Returns the admin state of the database (lock holder, incident date) and what it
    holds (RV(status)), before and after the operation.
  - Every state but V(cleared) makes sure the database exists.
  - meta2 indexes have no admin keys in OpenIO SDS 7.3.0, so for O(service_type=meta2)
    only O(state=present) is possible.
options:
  state:
    description:
      - V(present), the database exists.
      - V(locked), it is locked by O(who). A lock held by someone else is an error,
        raised before any write.
      - V(unlocked), nobody holds its lock.
      - V(cleared) is an action, the rdir's C(admin/clear) - it always deletes the
        incident date, and with O(all) every record, with O(before_incident) the
        records older than the incident date, with O(repair) rewrites every record.
        It reports C(changed) when records were removed or repaired or an incident
        date was deleted. It is not sent when the index shows that it would do none
        of that. In check mode the counts are predicted from RV(status).
    type: str
    default: present
    choices: [present, locked, unlocked, cleared]
  who:
    description:
      - Lock holder name, for O(state=locked).
    type: str
  incident_date:
    description:
      - Incident date to set, in seconds since the epoch. Records with an older
        modification time are the ones to rebuild.
      - Not with O(state=cleared), which deletes it.
      - At least 1.
    type: int
  all:
    description:
      - With O(state=cleared), delete every record.
    type: bool
    default: false
  before_incident:
    description:
      - With O(state=cleared), delete the records not newer than the incident date.
    type: bool
    default: false
  repair:
    description:
      - With O(state=cleared), rewrite every remaining record in canonical form.
        As every record is rewritten, the task then reports C(changed) whenever the
        index holds records.
    type: bool
    default: false
extends_documentation_fragment:
  - openio.sds.rdir_volume
  - openio.sds.rdir_volume.service_type
  - openio.sds.connection
  - openio.sds.attributes
  - openio.sds.attributes.stateful
attributes:
  diff_mode:
    details:
      - The diff shows whether the database exists, its lock holder, incident date and
        number of records.
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
- name: Lock the index of a rawx volume before rebuilding it
  openio.sds.oio_rdir_volume:
    proxy_url: http://10.0.0.1:6006
    namespace: OPENIO
    volume: rawx-12
    state: locked
    who: rebuild-2024-05-01

- name: Record the incident
  openio.sds.oio_rdir_volume:
    volume: rawx-12
    state: locked
    who: rebuild-2024-05-01
    incident_date: 1714550400

- name: After the rebuild, drop the records older than the incident
  openio.sds.oio_rdir_volume:
    volume: rawx-12
    state: cleared
    before_incident: true

- name: Make sure a meta2 service has its index
  openio.sds.oio_rdir_volume:
    service_type: meta2
    volume: 10.0.0.21:6120
'''

RETURN = r'''
volume:
  description: The volume ID.
  returned: always
  type: str
rdir:
  description: The rdir host stored in the assignment (service ID or address).
  returned: always
  type: str
rdir_addr:
  description: Address the rdir was reached at.
  returned: always
  type: str
exists:
  description: Whether the database exists after the task.
  returned: always
  type: bool
admin:
  description: Admin keys after the task (rawx only).
  returned: always
  type: dict
  contains:
    lock:
      description: Lock holder, or null.
      type: str
    incident_date:
      description: Incident date in seconds, or null.
      type: int
status:
  description:
    - What the index holds after the task (predicted in check mode). For rawx, the sum
      of the rdir's C(status) pages - C(chunk.total), C(chunk.to_rebuild) and
      C(incident_date) when an incident date is set, and the number of C(containers).
      For meta2, the number of C(containers).
  returned: always
  type: dict
  sample: {chunk: {total: 12, to_rebuild: 3}, containers: 2, incident_date: 1714550400}
status_before:
  description: The same, before the task.
  returned: always
  type: dict
cleared:
  description: With O(state=cleared), what was removed and repaired (predicted in check
    mode, or when nothing was sent).
  returned: when state is cleared
  type: dict
  sample: {removed: 3, repaired: 0, errors: 0, incident_date_removed: true}
'''

from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils import rdir as rdir_utils


def check_input(params):
    state = params["state"]
    meta2_admin = state != "present" or params["incident_date"] is not None
    if params["service_type"] == "meta2" and meta2_admin:
        raise InvalidInput("meta2 indexes have no lock nor incident date: with "
                           "service_type=meta2 only state=present is possible")
    if state == "cleared" and params["incident_date"] is not None:
        raise InvalidInput("incident_date cannot be set with state=cleared, which deletes it")
    if state != "cleared" and (params["all"] or params["before_incident"] or params["repair"]):
        raise InvalidInput("all, before_incident and repair go with state=cleared only")
    if state == "locked" and not (params["who"] or "").strip():
        raise InvalidInput("state=locked needs a non-empty who")
    if params["incident_date"] is not None and params["incident_date"] <= 0:
        raise InvalidInput("incident_date must be a positive number of seconds; use "
                           "state=cleared to delete an incident date")
    rdir_utils.check_volume_id(params["volume"])


def summary(exists, admin, status):
    state = {"exists": exists}
    state.update(rdir_utils.admin_state(admin))
    status = status or {}
    state["records"] = (status.get("chunk") or {}).get("total", status.get("containers", 0))
    return state


def work(module):
    params = module.params
    rdir_utils.check_service_type(params["service_type"])
    check_input(params)
    state, vol = params["state"], params["volume"]
    host, addr, dummy = rdir_utils.locate_rdir(module.client, vol)
    index = rdir_utils.VolumeDatabase(module.client, addr, params["service_type"], vol)
    rawx = params["service_type"] == "rawx"

    admin = index.admin() if rawx else None
    exists = admin is not None if rawx else index.meta2_exists()
    status_before = index.status() if exists else {}
    current = rdir_utils.admin_state(admin)

    # Decide every write before sending any.
    create = state != "cleared" and not exists
    set_incident = params["incident_date"] is not None and \
        params["incident_date"] != current["incident_date"]
    lock = unlock = clear = False
    prediction = None
    if state == "locked":
        if current["lock"] not in (None, params["who"]):
            raise InvalidInput("volume %s is locked by %s on rdir %s, not by %s; unlock it "
                               "first (state=unlocked)" % (vol, current["lock"], host,
                                                           params["who"]))
        lock = current["lock"] != params["who"]
    elif state == "unlocked":
        unlock = current["lock"] is not None
    elif state == "cleared" and exists:
        if current["lock"] not in (None, "admin_clear"):
            raise InvalidInput("volume %s is locked by %s on rdir %s: the rdir refuses to "
                               "clear it; unlock it first" % (vol, current["lock"], host))
        prediction = rdir_utils.predict_clear(status_before, admin, params["all"],
                                              params["before_incident"], params["repair"])
        clear = bool(prediction["removed"] or prediction["repaired"]
                     or prediction["incident_date_removed"])

    module.record_before(summary(exists, admin, status_before))
    module.changed = create or set_incident or lock or unlock or clear
    result = {"volume": vol, "rdir": host, "rdir_addr": addr,
              "status_before": status_before}
    if state == "cleared":
        result["cleared"] = dict(prediction or {"removed": 0, "repaired": 0,
                                                "incident_date_removed": False},
                                 errors=0)

    if module.check_mode or not module.changed:
        after_admin = None
        if rawx and (exists or create):
            after_admin = dict(admin or {})
            if set_incident:
                after_admin["incident_date"] = str(params["incident_date"])
            if lock:
                after_admin["lock"] = params["who"]
            if unlock or clear:
                after_admin.pop("lock", None)
            if clear:
                after_admin.pop("incident_date", None)
        after_exists = exists or create
        status_after = _predict_status(status_before, prediction, after_exists, rawx,
                                       after_admin)
    else:
        if create:
            index.create()
        if set_incident:
            index.set_incident(params["incident_date"])
        if lock:
            index.lock(params["who"])
        if unlock:
            index.unlock()
        if clear:
            answer = index.clear(params["all"], params["before_incident"], params["repair"])
            result["cleared"] = {
                "removed": int(answer.get("removed") or 0),
                "repaired": int(answer.get("repaired") or 0),
                "errors": int(answer.get("errors") or 0),
                "incident_date_removed": prediction["incident_date_removed"]}
            module.changed = bool(result["cleared"]["removed"] or result["cleared"]["repaired"]
                                  or prediction["incident_date_removed"])
        after_admin = index.admin() if rawx else None
        after_exists = after_admin is not None if rawx else index.meta2_exists()
        status_after = index.status() if after_exists else {}

    module.record_after(summary(after_exists, after_admin, status_after))
    result.update(exists=after_exists, admin=rdir_utils.admin_state(after_admin),
                  status=status_after)
    return result


def _predict_status(status, prediction, exists, rawx, admin):
    if not exists:
        return {}
    if not status:
        return {"chunk": {"total": 0}, "containers": 0} if rawx else {"containers": 0}
    if not rawx:
        return dict(status)
    out = {"chunk": {"total": status["chunk"]["total"]}, "containers": status["containers"]}
    if prediction:
        out["chunk"]["total"] -= prediction["removed"]
        if prediction["removed"] == status["chunk"]["total"]:
            out["containers"] = 0
    incident = rdir_utils.admin_state(admin)["incident_date"]
    if incident:
        out["incident_date"] = incident
        if incident == status.get("incident_date"):
            out["chunk"]["to_rebuild"] = status["chunk"].get("to_rebuild", 0)
    return out


# Ranges of the number options, checked before anything is sent.
RANGES = dict(incident_date=(1, None))


def main():
    module = OioModule(ranges=RANGES, argument_spec=dict(
        service_type=dict(type="str", default="rawx", choices=["rawx", "meta2"]),
        volume=dict(type="str", required=True, aliases=["service_id"]),
        state=dict(type="str", default="present",
                   choices=["present", "locked", "unlocked", "cleared"]),
        who=dict(type="str"),
        incident_date=dict(type="int"),
        all=dict(type="bool", default=False),
        before_incident=dict(type="bool", default=False),
        repair=dict(type="bool", default=False),
    ), required_if=[("state", "locked", ["who"])])
    module.run(work)


if __name__ == "__main__":
    main()
