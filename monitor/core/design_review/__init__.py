"""The design review: rules that read the event catalog and report, with evidence, where
the system's event design departs from good practice.

:mod:`.finding` holds the shared vocabulary (a :class:`~.finding.Finding`, the
:class:`~.finding.Rule` protocol, the thresholds and what a rule may read); each rule is
one module of :mod:`.rules`; :mod:`.review` runs them all."""
