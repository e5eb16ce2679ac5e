"""A simulated OpenIO SDS namespace, answering as 7.3.0 or 2026.14 do
(release.py): oio-proxy routes (conscience, reference, meta0,
admin/elections, lb, caches) and rdir services, served by one asyncio loop
on 127.0.0.1. See ``python -m oiosim --help``.

Known differences from the real system (on purpose or by simplification):

* conscience lock/unlock/register are visible in ``conscience/list`` at once
  (the real proxy serves a cache refreshed every 5 s);
* ``reference/show?type=`` is never stale (no "low" cache), and the single
  proxy never needs ``cache/flush/low``;
* the data of a meta1 base is shared by its peers: a peer without a copy of
  the base (``admin/has`` 431) still answers reference requests from it;
* elections are instantaneous: the master is the first candidate in address
  order, the next one after each ``admin/leave`` of the master; candidates
  are the base's ``sys.peers`` that are up and, for meta1, mapped to the
  base by meta0; a master stays master until it leaves or goes down, and
  while meta0 no longer maps it, its peers fail to elect (``status`` 500,
  writes 503 "Election failed") without the real ~20 s wait, and it answers
  431 "Base not managed" itself, as in the trial captures;
  ``admin/debug`` bodies are shortened; ``admin/info`` bodies are abridged;
* ``reference/link`` links as many distinct services as exist when fewer than
  the policy's replica count are available (the real meta1 fails with 481);
* LB distances compare ``tag.loc`` tokens right-aligned on 4 levels instead
  of hashing them; ``x-oio-lb-flawed`` is set only below ``warn_dist``;
* forward routes, ``config`` and ``status`` answer fixed bodies.
"""
