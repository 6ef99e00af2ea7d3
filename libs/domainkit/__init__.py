"""The pure pieces every service's domain shares: no I/O, no plumbing, no framework.

A service's ``domain`` package may import this library and ``contracts`` and nothing that
touches a socket, a file or a clock (import-linter's domain contract): :mod:`.decision` (what a
decision answers, and the envelope of its events), :mod:`.callers` (who a session is, and the
checks every service's authorisation starts with) and :mod:`.tokyo` (the portal's time zone).
"""
