"""Audit: the access-history projection and its export; a live stream for ops (SPEC section 5)."""
