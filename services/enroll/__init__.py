"""Enrolment: self sign-up with eligibility checks against union rosters (SPEC section 6)."""
