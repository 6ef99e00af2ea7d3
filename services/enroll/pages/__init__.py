"""kencom's pages (WEB-01): the sign-up and the checkup-results gate, in the portal's look,
apart from the JSON API; their templates are in ``templates/``."""

from fastapi import APIRouter

from services.enroll.pages import checkup, signup

ROUTERS: tuple[APIRouter, ...] = (signup.router, checkup.router)
