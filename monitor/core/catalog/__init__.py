"""The event catalog: which event types flow, where, made and read by whom, their
payload schemas and how those drifted, learnt from the events themselves.

:mod:`.catalog` (the observer), :mod:`.entry` (one type), :mod:`.shapes` (payload shapes,
schemas, drift), :mod:`.evidence` (what the design review reads), :mod:`.store` (in the
event log), :mod:`.watch` (hosted by a runtime)."""
