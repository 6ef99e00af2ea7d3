"""Identity's pages: the browser's routes under ``/realms/{realm}/…`` and their templates
(``pages/templates``), server-rendered in the portal's look (``libs/webkit``) and working
without JavaScript. Module-level routers, mounted by ``app.py`` beside the JSON API
(``services.identity.api``), which they never import: both call the same use cases.

A refusal is re-rendered in the form that caused it, announced with the title of its problem
(SPEC section 7), never answered as JSON or a 500 (X-05).
"""

from fastapi import APIRouter

from services.identity.pages import (
    account,
    admin,
    admin_id_requests,
    admin_org_info,
    admin_user,
    forgotten,
    guides,
    home,
    login,
    mail_links,
    otp,
    password_reset,
    permissions,
    profile,
    support_group_readers,
    support_home,
    support_id_requests,
    support_members,
    support_networks,
    support_operators,
    support_orgs,
    waiting,
)
from webkit import assets

ROUTERS: tuple[APIRouter, ...] = (
    mail_links.router,
    login.router,
    home.router,
    waiting.router,
    # before admin: their POST paths are also /admin/users/{user}/{action}
    permissions.router,
    admin_user.router,
    admin_id_requests.router,
    admin_org_info.router,
    admin.router,
    support_id_requests.router,
    support_members.router,
    support_networks.router,
    otp.router,
    forgotten.router,
    guides.router,
    password_reset.router,
    account.router,
    profile.router,
    support_home.router,
    support_orgs.router,
    support_operators.router,
    support_group_readers.router,
    assets.router,
)
