"""Notify: every event that needs a mail becomes one real SMTP mail, once (SPEC section 3)."""
