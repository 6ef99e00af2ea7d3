"""The baseline of bench/authz: a bare FastAPI endpoint that parses a decision request with
pydantic and answers a decision-shaped JSON, touching nothing."""

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Resource(BaseModel):
    org_id: str | None = None
    owner: str | None = None
    rider_code: str | None = None


class Question(BaseModel):
    action: str
    resource: Resource = Resource()
    protected: bool


class Answer(BaseModel):
    allow: bool
    reason: str
    rule: str
    message: str | None = None


@app.post("/v1/authz/decisions")
async def decide(question: Question) -> Answer:
    return Answer(allow=True, reason="ALLOWED", rule="ID-PERM-01")
