"""Notify's browser pages: none yet.

Notify answers mail, not browsers: its delivery log and template previews are JSON for the
support desk's tools (``api/``). The folder is here so that every service has the same shape
(``app > api | pages | handlers > usecases > store > domain``); the support desk's console
puts its delivery-log page here, with its templates in ``pages/templates/``.
"""
