"""Identity: realms, organisations, users, passwords, login, lockout, sessions (SPEC section 2)."""
