"""Enroll's domain: the sign-up, the insurance card, the union's roster and the checkup-results
gate, as typed values and pure decisions (no I/O, no plumbing; import-linter keeps it so).

A decision takes a state, a command and the time, and answers a :class:`~.decision.Decision`
(the next state, its events, what to answer) or raises a refusal (``refusals``).
"""
