"""Certificates: a client-certificate authority for mTLS (SPEC section 4)."""
