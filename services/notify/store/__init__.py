"""Notify's store: the delivery log, documents in and typed entries out. Its public interface is
:class:`DeliveryLog`; the collections and documents stay inside."""

from services.notify.store.delivery_log import DeliveryLog

__all__ = ["DeliveryLog"]
