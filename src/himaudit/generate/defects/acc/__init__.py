"""ACC injectors: snooping events appended to the streamed access log (``ctx.append``).

Modules: ``common`` (shared model, annotate/claim/emit), ``sampling`` (candidate draws),
``identity`` (ACC-001..003), ``unexplained`` (ACC-004, 005, 009), ``patterns``
(ACC-006..008). Importing the package registers every injector (generator discovery
imports only the package).

Keeping the families separate:

* every injected event falls inside the user's shift (except ACC-006's) and is a single
  chart open (except ACC-007/008's bursts), so the statistical rules stay quiet;
* ACC-005 leaves events to the more specific rule: outside employment (ACC-001), own or
  household record (ACC-002/003), VIP record (ACC-004) — so a family snoop by a nurse is one
  ACC-003 answer, not also an ACC-005 one;
* ACC-006/009 events are on charts the user is treating; ACC-007/008 bursts are by
  operational staff on patients with a recent encounter (a documented purpose), so none of
  them is "unexplained" either.

``difficulty = "advanced"`` makes them subtler: minutes/days past termination, VIP or
unexplained access just beyond the ± 7-day treatment window, operational access with no
encounter near, after-hours only 3–4 h past the shift, spikes at ~3× instead of 10×,
print bursts just over the threshold, placeholder break-the-glass reasons.
"""

from himaudit.generate.defects.acc import identity, patterns, unexplained

__all__ = ["identity", "patterns", "unexplained"]
