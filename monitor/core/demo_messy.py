"""The careless producer: a demo service that commits every anti-pattern the design
review knows, beside the well-behaved shop, so a newcomer sees the review at work.

``eventflow demo --scenario messy`` (and the window's Demo menu) runs it on the embedded
bus. Each :meth:`CarelessProducer.tick` publishes one round of bad habits:

* ``SendEmail``, a command dressed as an event (``command-named``);
* ``CustomerUpdated`` with no source, no version, no correlation and a payload whose
  fields come and go (``missing-field``, ``missing-schema``, ``missing-correlation``);
* now and then ``CustomerSnapshot``, 150 fields wide (``god-event``);
* one customer emitting nine fine-grained ``Customer...Changed`` types at once
  (``event-soup``);
* ``StockLevelChanged`` sometimes older than the previous one for its product, which
  the stock handler refuses (``out-of-order``, with the dead letters that follow);
* ``LoyaltyPointsAdded`` delivered twice to a handler that does not recognise repeats
  (``duplicate-delivery``);
* ``PriceRequested`` answered by ``PriceResponded`` on the same correlation, with a
  reply-to header (``synchronous-disguise``);
* ``InvoiceIssued`` whose ``total`` turns from a number into text after a while, which
  the accounting handler cannot read (``tight-coupling``);
* and, at start, a dead letter left pending three days ago (``ignored-dlq``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from typing import Any

from monitor.core.bus import EventBus, RetryPolicy, Subscription
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope, now

log = logging.getLogger(__name__)

SOURCE = "careless-app"
ABANDONED_LETTER_ID = "careless-app:abandoned-invoice"
SCHEMA_CHANGE_AFTER = 15  # rounds before InvoiceIssued's total becomes text
_NO_RETRY = RetryPolicy(max_attempts=1)
_SOUP = ("Name", "Email", "Phone", "Street", "City", "Zip", "Country", "Tier", "Avatar")


class StaleStock(Exception):
    """A stock level older than the one already applied (the handler assumed order)."""


class CarelessProducer:
    """Publishes a round of anti-patterns every ``interval`` seconds on ``bus``.

    ``on_dead_letter`` receives the old dead letter planted at start (the pipeline's
    ``accept_dead_letter``); ``None`` plants none.
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        interval: float = 0.5,
        seed: int | None = None,
        on_dead_letter: Callable[[DeadLetter], None] | None = None,
    ) -> None:
        self.bus = bus
        self.interval = interval
        self.on_dead_letter = on_dead_letter
        self.rounds = 0
        self._rng = random.Random(seed)
        self._stock_applied: dict[str, float] = {}
        self._subscriptions: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is not None:
            return
        self._subscriptions = [
            self.bus.subscribe("stock.levels", self._apply_stock, name="stock", retry=_NO_RETRY),
            self.bus.subscribe("loyalty.points", self._add_points, name="loyalty"),
            self.bus.subscribe("billing.invoices", self._book, name="accounting", retry=_NO_RETRY),
        ]
        if self.on_dead_letter is not None and self.rounds == 0:
            self.on_dead_letter(self._abandoned_letter())
        self._task = asyncio.get_running_loop().create_task(self._run(), name="eventflow-messy")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        subscriptions, self._subscriptions = self._subscriptions, []
        for sub in subscriptions:
            await self.bus.unsubscribe(sub)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except RuntimeError:  # the bus closed under us: the runtime is stopping
                return
            await asyncio.sleep(self.interval)

    # -- one round of bad habits ------------------------------------------------------

    async def tick(self) -> None:
        self.rounds += 1
        n = self.rounds
        rng = self._rng
        publish = self.bus.publish
        await publish(self._event("SendEmail", {"to": f"c{n}@example.com", "template": "welcome"}),
                      "notifications.commands")  # fmt: skip
        fields: dict[str, Any] = {"customerId": f"cust-{n % 7}"}
        for name in ("email", "phone", "tier", "newsletter"):
            if rng.random() < 0.5:
                fields[name] = rng.choice(["x", 1, True])
        update = Envelope(type="CustomerUpdated", source="", data=fields)
        await publish(update, "customers")
        if n % 5 == 1:
            wide = {f"attribute{i:03d}": i for i in range(150)}
            await publish(self._event("CustomerSnapshot", {"customerId": "cust-1", **wide}),
                          "customers.snapshots")  # fmt: skip
        if n % 10 == 1:
            for part in _SOUP:
                soup = self._event(f"Customer{part}Changed", {"value": rng.random()})
                soup.subject = soup.key = f"cust-{40 + n // 10}"
                await publish(soup, "customers.changes")
        sku = f"SKU-{n % 3}"
        at = now() - (5.0 if n % 4 == 0 else 0.0)  # every fourth: a level from 5 s ago
        stock = self._event("StockLevelChanged", {"sku": sku, "level": rng.randrange(100)})
        stock.time, stock.key, stock.subject = at, sku, sku
        await publish(stock, "stock.levels")
        points = self._event("LoyaltyPointsAdded", {"customerId": "cust-3", "points": 10})
        await publish(points, "loyalty.points")
        await publish(points, "loyalty.points")  # delivered again, as a retrying producer does
        corr = f"price-{n}"
        ask = self._event("PriceRequested", {"sku": sku}, correlation=corr)
        ask.headers["reply-to"] = "pricing.replies"
        await publish(ask, "pricing.requests")
        await asyncio.sleep(0.01)
        answer = self._event("PriceResponded", {"sku": sku, "price": 9.99}, correlation=corr)
        await publish(answer, "pricing.replies")
        total: Any = round(rng.uniform(10, 90), 2)
        if n > SCHEMA_CHANGE_AFTER:
            total = f"EUR {total:.2f}"  # the producer "improved" its format
        await publish(self._event("InvoiceIssued", {"invoiceId": f"inv-{n}", "total": total}),
                      "billing.invoices")  # fmt: skip

    def _event(self, type_: str, data: dict[str, Any], correlation: str | None = None) -> Envelope:
        e = Envelope(type=type_, source=SOURCE, data=data, correlation_id=correlation)
        if correlation is None:
            e.correlation_id = e.id
        return e

    def _abandoned_letter(self) -> DeadLetter:
        event = self._event("InvoiceIssued", {"invoiceId": "inv-0", "total": "unknown"})
        event.topic = "billing.invoices"
        event.time = now() - 3 * 86_400
        return DeadLetter(
            id=ABANDONED_LETTER_ID,  # planted once per log: a second insert is ignored
            event=event,
            reason="ValueError: total is not a number",
            original_topic="billing.invoices",
            handler="accounting",
            created_at=event.time + 1,
        )

    # -- the careless consumers ---------------------------------------------------------

    async def _apply_stock(self, event: Envelope) -> None:
        sku = str((event.data or {}).get("sku"))
        at = event.time or 0.0
        if at < self._stock_applied.get(sku, 0.0):
            raise StaleStock(f"stock level for {sku} is older than the one applied")
        self._stock_applied[sku] = at

    async def _add_points(self, event: Envelope) -> None:
        return None  # adds the points again on a repeat: no idempotency

    async def _book(self, event: Envelope) -> None:
        total = (event.data or {}).get("total")
        if not isinstance(total, int | float):
            raise ValueError(f"total {total!r} is not a number")
