"""The Qt side of Eventflow Monitor: widgets, Qt models, the qasync bootstrap.

Only this package imports Qt. It reads the core through pull-based snapshots on timers,
so a flood of events never turns into a flood of redraws.
"""
