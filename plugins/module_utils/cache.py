# -*- coding: utf-8 -*-
# Copyright: contributors to the openio.sds collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cache flushes: the proxy's own caches and one service's resolver cache.

The proxy does not flush its meta0/meta1 resolution cache after a
``meta0_force``, and a service keeps resolving through its own cache: call
:func:`flush_proxy_cache` (``high``) after changing the mapping and
:func:`flush_service_cache` when a service must see a change at once.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.openio.sds.plugins.module_utils.names import is_addr

# high = meta0 list + prefix -> meta1; low = reference -> linked services;
# local = both plus the load-balancer state (LB requests fail for a few
# seconds afterwards, so it is never implied by the others).
PROXY_CACHES = ("high", "low", "local")


def check_proxy_caches(caches):
    """Error message for a bad list of proxy cache names, else None."""
    unknown = [c for c in caches if c not in PROXY_CACHES]
    if unknown:
        return "unknown proxy cache %s (expected %s)" % (
            ", ".join(repr(c) for c in unknown), ", ".join(PROXY_CACHES))
    return None


def flush_proxy_cache(client, cache="high"):
    """``POST /v3.0/cache/flush/<cache>`` (204). Flushing twice is harmless,
    so a transient failure is retried."""
    if cache not in PROXY_CACHES:
        raise ValueError(check_proxy_caches([cache]))
    client.proxy_global("POST", "cache/flush/%s" % cache, idempotent=True)


def flush_service_cache(client, service):
    """``POST /v3.0/forward/flush?id=<IP:PORT>``: the service forgets what its
    resolver cached. A service that is down answers 503 with the network
    status (2 = connection refused) naming it."""
    if not is_addr(service):
        raise ValueError("service must be an IP:PORT address, got %r" % (service,))
    client.proxy_global("POST", "forward/flush", {"id": service}, idempotent=True)
