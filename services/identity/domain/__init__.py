"""Identity's domain: typed aggregates and pure decisions, no I/O.

A decision takes an aggregate's state, a command and the time, and answers the next state and
the events that announce it, or a refusal (:mod:`.refusals`). Nothing here reads a database,
a clock or the network, so the versioned store can run a decision again after losing a race
(X-13), and the rules are tested without any infrastructure. An import-linter contract keeps it
so: this package imports nothing of pymongo, servicekit, FastAPI or the rest of the service.

- :mod:`.users`, :mod:`.organisations`: the aggregates (利用者, 団体) and their creation.
- :mod:`.login`, :mod:`.lockout`: ID-LOGIN-01's decision and the lock count, shadow counters
  for unknown login IDs included.
- :mod:`.accounts`: what an admin (or support) does for a user; :mod:`.self_service`: what a
  person does for their own account; :mod:`.temporary`, :mod:`.email_change`: the mailed
  self-service routes.
- :mod:`.authz`: who may do what in identity, answered alike for every route.
- :mod:`.permissions`: seed 004's permission matrix and the decision the decision API answers
  for the portal's business operations (ID-PERM); :mod:`.otp`: the e-mailed step-up (ID-OTP).
- :mod:`.bot_defence`: kencom's challenge difficulty per client address and trusted networks
  (ID-BOT).
- :mod:`.realms`, :mod:`.inputs`, :mod:`.profiles`, :mod:`.password_policy`: realm policy and
  the rules every input must meet.
"""
