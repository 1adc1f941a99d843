"""The planning pipeline: instance -> coefficients -> model -> solver -> checker -> Plan.

:class:`~optimizer.planning.planner.Planner` (a built model bound to a persistent HiGHS
solver, re-solvable in place) and :func:`~optimizer.planning.planner.solve` (the one-call
form) sit above the solver, the independent checker and the results layer, which they
combine; nothing below imports them (docs/architecture.md).
"""
