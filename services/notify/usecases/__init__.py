"""Notify's application: deliveries from events (``deliveries``), template previews
(``previews``) and the support desk's delivery log (``delivery_log``), over the mail adapters
(``mail``: letters, wording, SMTP) and the store."""

from __future__ import annotations

from dataclasses import dataclass

from services.notify.usecases.deliveries import Deliveries
from services.notify.usecases.delivery_log import DeliveryLogReading
from services.notify.usecases.previews import Previews


@dataclass(frozen=True)
class NotifyUseCases:
    """Everything notify does, as the routes and the subscriber reach it."""

    deliveries: Deliveries
    previews: Previews
    delivery_log: DeliveryLogReading


__all__ = ["Deliveries", "DeliveryLogReading", "NotifyUseCases", "Previews"]
