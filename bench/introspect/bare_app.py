"""The baseline of bench/introspect: a bare FastAPI endpoint answering a session-sized JSON."""

from fastapi import FastAPI

app = FastAPI()

SESSION = {
    "user_id": "0" * 32,
    "realm": "demo",
    "org_id": "1" * 32,
    "role": "admin",
    "login_id": "XA3000001",
    "restricted": False,
    "otp_verified": False,
    "previous_login_at": None,
    "expires_at": "2026-04-01T21:00:00Z",
}


@app.get("/v1/sessions/current")
async def current() -> dict[str, object]:
    return SESSION
