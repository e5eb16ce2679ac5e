# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: conscience
short_description: The hosts that run the services of an OpenIO SDS namespace, from its conscience
version_added: 1.0.0
description:
  - Lists the services that the conscience of an OpenIO SDS namespace knows, through the namespace's
    oio-proxy, and makes one inventory host per IP address that runs any of them.
  - "Groups: one per service type (V(oio_meta1), V(oio_rdir), ... with the default O(group_prefix)) and,
    with O(location_groups), one per level of the services' locations: a service at
    C(dc1.rack2.host3.rawx-4) puts its host in V(oio_loc_dc1), V(oio_loc_dc1_rack2) and
    V(oio_loc_dc1_rack2_host3), each group a child of the one above. The last token of a location
    names the service itself and makes no group; services without C(tag.loc) make none either."
  - "Host variables: C(oio_services), the services on that host (C(addr), C(port), C(id), C(type),
    C(score), C(locked), C(up), C(location), C(tags) without C(stat.*)), sorted by type then address;
    C(oio_service_types), their types."
  - The inventory file must be named C(*conscience.yml) or C(*conscience.yaml).
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [openio.sds.conscience]
  proxy_url:
    description: URL of the namespace's oio-proxy.
    type: str
    required: true
    env:
      - name: OIO_PROXYD_URL
  namespace:
    description: Name of the namespace.
    type: str
    required: true
    env:
      - name: OIO_NS
  types:
    description:
      - Service types to list. Empty means every type the conscience knows.
    type: list
    elements: str
    default: []
  min_score:
    description:
      - Only services with at least this score. V(0) keeps every service, locked ones included.
    type: int
    default: 0
  group_prefix:
    description: Prefix of the type and location group names.
    type: str
    default: oio_
  location_groups:
    description: Make the location groups.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each answer of the proxy.
    type: float
    default: 30
    env:
      - name: OIO_TIMEOUT
  retries:
    description: Extra attempts after a transient failure (connection error, HTTP 503/504).
    type: int
    default: 3
    env:
      - name: OIO_RETRIES
  validate_certs:
    description: Check the proxy's TLS certificate (with an C(https) O(proxy_url)).
    type: bool
    default: true
    env:
      - name: OIO_VALIDATE_CERTS
  ca_path:
    description: CA bundle that signs the proxy's certificate.
    type: path
    env:
      - name: OIO_CA_PATH
  request_id:
    description: Prefix of the C(x-oio-req-id) header sent with every request.
    type: str
    default: ansible-openio-inventory
requirements:
  - requests (Python library, on the controller)
notes:
  - Sends read requests only (C(conscience/info?what=types) and one C(conscience/list) per type).
author:
  - openio.sds maintainers (@openio)
'''

EXAMPLES = r'''
# The smallest file, demo.conscience.yml: every service of the namespace, the connection
# from OIO_PROXYD_URL and OIO_NS.
#
#   plugin: openio.sds.conscience
#
# meta1.conscience.yml: the meta1 and meta0 hosts with a positive score, cached for 10 minutes,
# and a group per rack whatever the site
plugin: openio.sds.conscience
proxy_url: http://10.0.0.1:6006
namespace: OPENIO
types: [meta0, meta1]
min_score: 1
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /var/tmp/oio-inventory
cache_timeout: 600
keyed_groups:
  - key: oio_services | map(attribute='location') | map('split', '.') | map(attribute=1) | unique
    prefix: rack
compose:
  oio_meta1_addrs: oio_services | selectattr('type', 'eq', 'meta1') | map(attribute='addr') | list
'''

import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.openio.sds.plugins.module_utils.client import OioClient, OioError
from ansible_collections.openio.sds.plugins.module_utils.namespace import facts

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def host_of(addr):
    """The host part of ``IP:PORT`` (``[v6]:PORT`` too), and the port."""
    host, sep, port = (addr or "").rpartition(":")
    if not sep:
        return addr, None
    host = host.strip("[]")
    try:
        return host, int(port)
    except ValueError:
        return host, None


def location_levels(location):
    """Prefixes of a dotted location, the service's own last token left out:
    ``a.b.c.d`` gives ``[a], [a, b], [a, b, c]``."""
    tokens = [t for t in (location or "").split(".") if t]
    return [tokens[:i] for i in range(1, len(tokens))]


def collect(client, types, min_score):
    """``{host: [service, ...]}`` from the conscience."""
    hosts = {}
    for stype in types:
        for svc in facts(client).services(stype):
            if svc["score"] < min_score:
                continue
            host, port = host_of(svc["addr"])
            if not host:
                continue
            tags = dict((k, v) for k, v in svc["tags"].items() if not k.startswith("stat."))
            hosts.setdefault(host, []).append({
                "addr": svc["addr"], "port": port, "id": svc["id"], "type": stype,
                "score": svc["score"], "locked": svc["locked"], "up": svc["up"],
                "location": svc["location"], "has_location": bool(tags.get("tag.loc")),
                "tags": tags})
    for services in hosts.values():
        services.sort(key=lambda s: (s["type"], s["addr"]))
    return hosts


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "openio.sds.conscience"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and \
            path.endswith(("conscience.yml", "conscience.yaml"))

    def _client(self):
        proxy_url = self.get_option("proxy_url")
        namespace = self.get_option("namespace")
        if not proxy_url or not namespace:
            raise AnsibleParserError("openio.sds.conscience needs proxy_url and namespace "
                                     "(or OIO_PROXYD_URL and OIO_NS)")
        try:
            return OioClient(proxy_url, namespace, timeout=self.get_option("timeout"),
                             retries=self.get_option("retries"),
                             validate_certs=self.get_option("validate_certs"),
                             ca_path=self.get_option("ca_path"),
                             request_id=self.get_option("request_id"),
                             warn=self.display.warning)
        except OioError as exc:
            raise AnsibleParserError("openio.sds.conscience: %s" % to_native(exc))

    def _fetch(self):
        client = self._client()
        try:
            types = self.get_option("types") or sorted(
                t for t in facts(client).service_types() if isinstance(t, str))
            return collect(client, types, self.get_option("min_score"))
        except OioError as exc:
            raise AnsibleParserError("openio.sds.conscience: %s" % to_native(exc))

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        hosts = None
        if use_cache:
            try:
                hosts = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if hosts is None:
            hosts = self._fetch()
        if update_cache:
            self._cache[cache_key] = hosts
        self._populate(hosts)

    def _group(self, *parts):
        name = self.get_option("group_prefix") + "_".join(_UNSAFE.sub("_", p) for p in parts)
        return self.inventory.add_group(name)

    def _populate(self, hosts):
        strict = self.get_option("strict")
        for host in sorted(hosts):
            services = hosts[host]
            self.inventory.add_host(host)
            public = [dict((k, v) for k, v in s.items() if k != "has_location") for s in services]
            self.inventory.set_variable(host, "oio_services", public)
            self.inventory.set_variable(host, "oio_service_types",
                                        sorted(set(s["type"] for s in services)))
            for svc in services:
                self.inventory.add_child(self._group(svc["type"]), host)
                if not (self.get_option("location_groups") and svc["has_location"]):
                    continue
                parent = None
                for level in location_levels(svc["location"]):
                    group = self._group("loc", *level)
                    if parent is not None:
                        self.inventory.add_child(parent, group)
                    parent = group
                if parent is not None:
                    self.inventory.add_child(parent, host)
            hostvars = self.inventory.get_host(host).get_vars()
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host,
                                              strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host,
                                           strict=strict)
