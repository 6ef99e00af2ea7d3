"""The portal's one look (WEB-01), shared by every service that serves pages.

Services never import each other, yet their pages must read as one portal behind the gateway:
the layout, the stylesheet, the form helpers (every field labelled, errors summarised and
focused) and the CSRF protection of forms (X-12) live here, and each service renders its own
templates on top of them.

- ``pages`` a Jinja2 environment over a service's templates and this library's, and the
  response that renders one page;
- ``csrf`` the form token that protects a page's state-changing POST;
- ``assets`` the stylesheet and the few scripts, served at ``/static/webkit/…``.
"""
