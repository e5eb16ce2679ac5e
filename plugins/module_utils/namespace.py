# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of a namespace's facts: its options (meta1 digits, service
update policy), its service types, its services, its meta0 mapping, and the
OpenIO SDS release it runs.

Every module gets the same answer to the same question: ``facts(client)``
keeps one :class:`NamespaceFacts` per client (one task). The configuration
(``conscience/info``) and the release are read once; the services and the
meta0 mapping are read again on every call, since a task changes them.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.client import OioError
from ansible_collections.openio.sds.plugins.module_utils.release import LEGACY, detect
from ansible_collections.openio.sds.plugins.module_utils.names import DIGITS_RANGE, MAX_DIGITS, digits_problem
from ansible_collections.openio.sds.plugins.module_utils.services import normalize_service, service_id

DIGITS_KEYS = ("ns.meta1_digits", "meta1_digits")
# The policy of a service type the namespace does not name, and the
# namespace's policies when it sets none (algorithms.md 11.1).
DEFAULT_POLICY = "KEEP"
DEFAULT_UPDATE_POLICY = "meta2=KEEP|3|1;sqlx=KEEP|1|1|;rdir=KEEP|1|1|"
DEFAULT_DIGITS = MAX_DIGITS
# The types read, in this order, to tell the release when no list was read
# yet: every namespace has meta0 services, a bootstrapped one meta1.
PROBE_TYPES = ("meta0", "meta1", "rdir", "rawx")


class NamespaceError(OioError):
    """A namespace whose configuration the collection cannot work with."""


class NamespaceFacts(object):

    def __init__(self, client):
        self.client = client
        self._info = None
        self._types = None
        self._release = None

    # -- configuration -----------------------------------------------------

    def info(self):
        """``conscience/info``: the namespace's configuration (read once)."""
        if self._info is None:
            body = self.client.proxy("GET", "conscience/info").body
            self._info = body if isinstance(body, dict) else {}
        return self._info

    def options(self):
        options = self.info().get("options")
        return options if isinstance(options, dict) else {}

    def configured_digits(self):
        """``(digits, option name)`` as the namespace sets them, or ``(None,
        None)`` when it does not (meta1 then uses 4). A value that is not a
        number within 0..4 is refused: guessing would address other bases
        than meta1 holds."""
        options = self.options()
        for key in DIGITS_KEYS:
            if key not in options or options[key] in (None, ""):
                continue
            try:
                value = int(str(options[key]).strip())
            except ValueError:
                raise NamespaceError("namespace option %s=%r is not an integer: fix the "
                                     "namespace configuration" % (key, options[key]))
            if digits_problem(value):
                raise NamespaceError("namespace option %s=%r is outside %d..%d: fix the "
                                     "namespace configuration"
                                     % ((key, options[key]) + DIGITS_RANGE))
            return value, key
        return None, None

    def meta1_digits(self):
        """The meta1 digits of the namespace (4 when it does not set them)."""
        digits, dummy = self.configured_digits()
        return DEFAULT_DIGITS if digits is None else digits

    def update_policy(self):
        """The raw ``service_update_policy`` option ("" when unset)."""
        return self.options().get("service_update_policy") or ""

    def update_policies(self):
        """``{type: policy}`` (KEEP, APPEND, ...) of ``service_update_policy``."""
        return parse_policy(self.update_policy())

    def service_replicas(self):
        """``{type: replicas}`` the namespace keeps of a base of each type."""
        return policy_replicas(self.update_policy())

    def service_types(self):
        """The service types the conscience knows (read once)."""
        if self._types is None:
            body = self.client.proxy("GET", "conscience/info", {"what": "types"}).body
            self._types = [t for t in body or [] if isinstance(t, str)]
        return list(self._types)

    # -- services ----------------------------------------------------------

    def conscience_list(self, service_type, full=False):
        """The raw conscience entries of a type; the first non-empty list
        also tells the release."""
        entries = self._read_conscience(service_type, full)
        if self._release is None:
            self._release = detect(entries)
        return entries

    def _read_conscience(self, service_type, full=False):
        params = {"type": service_type}
        if full:
            params["full"] = "1"
        return self.client.proxy("GET", "conscience/list", params).body or []

    def service_ids(self, service_type):
        """The service IDs (``tag.service_id``) of the services of a type."""
        return set(sid for sid in (service_id(e, with_addr=False)
                                   for e in self.conscience_list(service_type)) if sid)

    def services(self, service_type, full=False):
        """The services of a type in the collection's one shape
        (:func:`services.normalize_service`)."""
        entries = self.conscience_list(service_type, full=full)
        release = self.release
        return [dict(normalize_service(e, release), type=service_type) for e in entries]

    # -- meta0 ---------------------------------------------------------------

    def meta0(self):
        """The meta0 mapping as served now: ``{"PPPP": [addr, ...]}`` ({}
        when empty)."""
        body = self.client.proxy("GET", "admin/meta0_list").body
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise OioError("admin/meta0_list did not return a JSON object",
                           method="GET", url=self.client.proxy_route("admin/meta0_list"))
        return body

    # -- release -------------------------------------------------------------

    @property
    def release(self):
        """The :class:`release.Release` the namespace runs, told by its
        conscience. A namespace without any service of the probed types
        is taken for 7.3.0 (its answers are then the same)."""
        if self._release is None:
            for service_type in PROBE_TYPES:
                self._release = detect(self._read_conscience(service_type))
                if self._release is not None:
                    break
            else:
                self._release = LEGACY
        return self._release

    @release.setter
    def release(self, value):
        self._release = value

    @property
    def release_known(self):
        return self._release is not None


def parse_policy(text):
    """``meta2=KEEP|3|1;sqlx=KEEP|1|1|`` -> {"meta2": "KEEP", "sqlx": "KEEP"}."""
    out = {}
    for item in (text or "").split(";"):
        name, sep, rest = item.strip().partition("=")
        if sep and name.strip():
            out[name.strip()] = (rest.split("|")[0].strip() or DEFAULT_POLICY).upper()
    return out


def policy_replicas(text):
    """``meta2=KEEP|3|1;sqlx=KEEP|1|1|`` -> {"meta2": 3, "sqlx": 1}."""
    out = {}
    for item in (text or DEFAULT_UPDATE_POLICY).split(";"):
        name, sep, rest = item.strip().partition("=")
        fields = rest.split("|")
        if sep and name.strip() and len(fields) > 1:
            try:
                out[name.strip()] = int(fields[1])
            except ValueError:
                pass
    return out


def facts(client):
    """The :class:`NamespaceFacts` of ``client`` (one per client, so one per task)."""
    found = getattr(client, "namespace_facts", None)
    if found is None:
        found = client.namespace_facts = NamespaceFacts(client)
    return found
