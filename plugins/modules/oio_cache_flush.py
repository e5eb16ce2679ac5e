#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: oio_cache_flush
short_description: Flush the caches of the proxy or the resolver cache of services
version_added: 1.0.0
description:
  - Flushes the caches of the oio-proxy given by O(proxy_url) (O(proxy_caches)), and/or the
    resolver cache of services (O(services), C(POST /v3.0/forward/flush?id=IP:PORT)).
  - The proxy keeps resolving through its C(high) cache (meta0 list, prefix to meta1) after a
    meta0 mapping change until it expires; flush it when the next step must see the new
    mapping. The C(low) cache maps references to their linked services.
  - Caches are per proxy. Flush each proxy of the namespace (loop over their URLs).
  - This is an action, not a state. It reports V(changed=true) every time it runs.
options:
  proxy_caches:
    description:
      - Proxy caches to flush. V(high) (meta0 and meta1 resolution), V(low) (reference to
        services), V(local) (both, plus the load-balancer state; the proxy then fails load
        balancer requests for a few seconds).
    type: list
    elements: str
    choices: [high, low, local]
    default: []
  services:
    description:
      - Addresses (C(IP:PORT)) of services whose resolver cache to flush. A service that is down
        makes the module fail with the proxy's error naming it.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - openio.sds.connection
  - openio.sds.attributes
author:
  - openio.sds maintainers (@openio)
attributes:
  check_mode:
    support: full
    details:
      - Nothing is sent in check mode; the module reports V(changed=true) as the real run would.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: The proxy forgets the old meta0 mapping
  openio.sds.oio_cache_flush:
    proxy_caches: [high]

- name: Flush both proxy caches on every proxy, and the resolver cache of the meta1 services
  openio.sds.oio_cache_flush:
    proxy_url: "http://{{ item }}:6006"
    proxy_caches: [high, low]
    services: "{{ meta1_addresses }}"
  loop: "{{ groups['oioproxy'] }}"
'''

RETURN = r'''
flushed:
  description: What was flushed (in check mode, what would be), as C(proxy:<cache>) and
    C(service:<IP:PORT>).
  returned: always
  type: list
  elements: str
  sample: ["proxy:high", "service:127.0.0.1:6009"]
'''

from ansible_collections.openio.sds.plugins.module_utils.cache import (
    flush_proxy_cache, flush_service_cache)
from ansible_collections.openio.sds.plugins.module_utils.module import InvalidInput, OioModule
from ansible_collections.openio.sds.plugins.module_utils.names import is_addr


def work(module):
    p = module.params
    caches = list(dict.fromkeys(p["proxy_caches"]))
    services = list(dict.fromkeys(p["services"]))
    if not caches and not services:
        raise InvalidInput("nothing to flush: give proxy_caches and/or services")
    bad = [s for s in services if not is_addr(s)]
    if bad:
        raise InvalidInput("services must be IP:PORT addresses: %s" % ", ".join(bad))
    flushed = ["proxy:%s" % c for c in caches] + ["service:%s" % s for s in services]
    module.changed = True
    if not module.check_mode:
        for cache in caches:
            flush_proxy_cache(module.client, cache)
        for service in services:
            flush_service_cache(module.client, service)
    return {"flushed": flushed}


def main():
    module = OioModule(argument_spec=dict(
        proxy_caches=dict(type="list", elements="str", default=[],
                          choices=["high", "low", "local"]),
        services=dict(type="list", elements="str", default=[]),
    ))
    module.run(work)


if __name__ == "__main__":
    main()
