"""The demo shop: a small order flow on the embedded bus, so there is always something live.

Services are bus handlers, each doing one step of an order:

* the storefront publishes ``OrderPlaced`` on ``orders.placed`` at ``rate`` orders/s;
* payments turns it into ``PaymentAuthorized`` (``payments.authorized``) or, now and then,
  ``PaymentFailed`` (``payments.failed``);
* the warehouse reserves stock, ``InventoryReserved`` (``inventory.reserved``). It times
  out now and then (retried, usually recovered) and always fails on the discontinued
  product (a dead letter after the last retry);
* shipping sends the parcel, ``OrderShipped`` (``shipping.shipped``).

Payments sometimes delivers its event twice, as an at-least-once transport would; the
warehouse and shipping are wrapped in the idempotency guard, so the repeat is skipped and
counted. Each step waits a few milliseconds before publishing, so chains have real timing.
The scenario (products, failure rates, delays) is read from ``resources/demo/shop.json``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from monitor.core.bus import EventBus, RetryPolicy, Subscription
from monitor.core.envelope import Envelope, now
from monitor.core.idempotency import IdempotencyGuard
from monitor.core.resources import resource

log = logging.getLogger(__name__)

TOPICS = (
    "orders.placed",
    "payments.authorized",
    "payments.failed",
    "inventory.reserved",
    "shipping.shipped",
)


def schema_uri(event_type: str) -> str:
    """The schema each demo event names (CloudEvents ``dataschema``): the shop's events
    are versioned, as the design review asks."""
    return f"urn:eventflow:demo-shop:{event_type}:1"


class WarehouseTimeout(Exception):
    """The warehouse did not answer in time (transient: a retry usually works)."""


class UnknownProduct(Exception):
    """The product is not stocked any more (permanent: ends as a dead letter)."""


_CATCH_UP = 0.05  # seconds of missed orders placed at most in one go; older ones skipped
_ORDERS_BETWEEN_YIELDS = 20  # orders placed before the loop gets a turn


@dataclass(slots=True)
class Scenario:
    source: str = "demo-shop"
    products: list[dict[str, Any]] = field(
        default_factory=lambda: [{"sku": "SKU-100", "name": "Espresso beans", "price": 24.9}]
    )
    customers: list[str] = field(default_factory=lambda: ["c-1001"])
    payment_decline_rate: float = 0.08
    warehouse_timeout_rate: float = 0.15
    poison_sku: str = "SKU-999"
    poison_sku_rate: float = 0.03
    duplicate_delivery_rate: float = 0.04
    step_delay_ms: tuple[float, float] = (2.0, 12.0)
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(3, 0.02, 0.5))

    @classmethod
    def load(cls, path: str | None = None) -> Scenario:
        """Read the scenario file; on a missing or broken file, log why and use defaults."""
        file = resource("demo", "shop.json") if path is None else path
        try:
            with open(file, encoding="utf-8") as f:
                raw = json.load(f)
            retry = raw.get("retry", {})
            lo, hi = raw.get("step_delay_ms", [2, 12])
            return cls(
                source=str(raw.get("source", "demo-shop")),
                products=list(raw["products"]),
                customers=[str(c) for c in raw["customers"]],
                payment_decline_rate=float(raw.get("payment_decline_rate", 0.08)),
                warehouse_timeout_rate=float(raw.get("warehouse_timeout_rate", 0.15)),
                poison_sku=str(raw.get("poison_sku", "SKU-999")),
                poison_sku_rate=float(raw.get("poison_sku_rate", 0.03)),
                duplicate_delivery_rate=float(raw.get("duplicate_delivery_rate", 0.04)),
                step_delay_ms=(float(lo), float(hi)),
                retry=RetryPolicy(
                    int(retry.get("max_attempts", 3)),
                    float(retry.get("base_delay", 0.02)),
                    float(retry.get("max_delay", 0.5)),
                ),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("demo scenario %s unusable (%s); using built-in defaults", file, exc)
            return cls()


class DemoShop:
    """The demo services on ``bus``. :meth:`start` subscribes them and starts orders."""

    def __init__(
        self,
        bus: EventBus,
        *,
        rate: float = 20.0,
        guard: IdempotencyGuard | None = None,
        scenario: Scenario | None = None,
        seed: int | None = None,
    ) -> None:
        if rate < 0:
            raise ValueError("the demo rate cannot be negative")
        self.bus = bus
        self.rate = rate
        self.guard = guard or IdempotencyGuard()
        self.scenario = scenario or Scenario.load()
        self.orders_placed = 0
        # (loop time, orders placed) every quarter second or so: the rate really reached
        self._pace: deque[tuple[float, int]] = deque(maxlen=64)
        self._rng = random.Random(seed)
        self._tasks: set[asyncio.Task[None]] = set()
        self._generator: asyncio.Task[None] | None = None
        self._subscriptions: list[Subscription] = []
        self._stopping = False
        self._paused = False

    # -- lifecycle --------------------------------------------------------------------

    def subscribe_services(self) -> None:
        """Register the payment, warehouse and shipping handlers (idempotent)."""
        if self._subscriptions:
            return
        self._stopping = False
        retry = self.scenario.retry
        self._subscriptions = [
            self.bus.subscribe("orders.placed", self.take_payment, name="payments", retry=retry),
            self.bus.subscribe(
                "payments.authorized",
                self.guard.once("warehouse", self.reserve_inventory),
                name="warehouse",
                retry=retry,
            ),
            self.bus.subscribe(
                "inventory.reserved",
                self.guard.once("shipping", self.ship_order),
                name="shipping",
                retry=retry,
            ),
        ]

    def start(self) -> None:
        """Subscribe the services and start placing orders at :attr:`rate` per second."""
        self.subscribe_services()
        self._paused = False
        if self._generator is None:
            self._generator = asyncio.get_running_loop().create_task(
                self._place_orders(), name="eventflow-demo-orders"
            )

    async def stop_placing(self) -> None:
        """Stop placing new orders; steps of orders already placed go on."""
        if self._generator is not None:
            self._generator.cancel()
            await asyncio.gather(self._generator, return_exceptions=True)
            self._generator = None

    # -- what the user controls while the bus and the log run on --------------------

    @property
    def state(self) -> str:
        """``running`` (placing orders), ``paused`` (no new orders; the services still
        handle events), ``stopped`` (no orders and no services on the bus), or ``services``
        (subscribed, but asked to place no orders: a rate of 0)."""
        if not self._subscriptions:
            return "stopped"
        if self._paused:
            return "paused"
        return "running" if self._generator is not None and self.rate > 0 else "services"

    async def pause(self) -> None:
        """Place no new orders. Orders already placed finish their chains, and the
        services go on handling what is published or replayed to them."""
        self._paused = True
        await self.stop_placing()

    def resume(self) -> None:
        """Place orders again at :attr:`rate` (after :meth:`pause` or :meth:`stop_services`;
        the services come back first)."""
        self.start()

    async def stop_services(self, settle_within: float = 3.0) -> None:
        """Place no new orders, let the orders in flight finish (for at most
        ``settle_within`` seconds), then take the services off the bus: the demo leaves
        the bus and the log to what the user publishes, replays or tails."""
        self._paused = False
        await self.stop_placing()
        try:
            await asyncio.wait_for(self.settle(), settle_within)
        except TimeoutError:
            log.warning("demo orders still in flight after %ss; stopping them", settle_within)
        self._stopping = True  # a handler still running schedules no further step
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        subscriptions, self._subscriptions = self._subscriptions, []
        for sub in subscriptions:
            await self.bus.unsubscribe(sub)

    async def stop(self) -> None:
        """Stop placing orders and cancel steps still waiting to publish.

        Handlers still running after this schedule no new steps, so nothing publishes
        into a bus that is about to close.
        """
        self._stopping = True
        tasks = list(self._tasks)
        if self._generator is not None:
            tasks.append(self._generator)
            self._generator = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    async def settle(self) -> None:
        """Wait until every step already started has published (for a clean summary)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.bus.drain()
        if self._tasks:
            await self.settle()

    # -- the storefront ---------------------------------------------------------------

    async def _place_orders(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            if self.rate <= 0:
                await asyncio.sleep(0.2)
                next_at = loop.time()
                continue
            # Place as many orders as the clock says are due, so a high rate is met even
            # though one sleep is far longer than the gap between two orders. But a rate
            # beyond what the machine can do must not grow a backlog, and catch-up bursts,
            # without end (the window would wait seconds for the loop): at most
            # _CATCH_UP seconds of orders are owed, the rest is skipped, and the loop gets
            # a turn between small groups. The demo then runs as fast as it can, as a
            # real producer would, and reached_rate() says how fast that is.
            now = loop.time()
            next_at = max(next_at, now - _CATCH_UP)
            placed = 0
            while next_at <= now:
                await self.place_order()
                next_at += 1.0 / self.rate
                placed += 1
                if placed % _ORDERS_BETWEEN_YIELDS == 0:
                    self._note_pace(loop.time())
                    await asyncio.sleep(0)  # publishing may not suspend: let the UI run
            self._note_pace(loop.time())
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    def _note_pace(self, at: float) -> None:
        if not self._pace or at - self._pace[-1][0] >= 0.25:
            self._pace.append((at, self.orders_placed))

    def reached_rate(self, over: float = 5.0) -> float | None:
        """Orders per second placed over about the last ``over`` seconds (None before
        there are 3 s to measure): below :attr:`rate` when the machine cannot keep up."""
        if not self._pace:
            return None
        end_at, end_count = self._pace[-1]
        start = next(((t, n) for t, n in self._pace if end_at - t <= over), self._pace[0])
        if end_at - start[0] < 3.0:
            return None
        return (end_count - start[1]) / (end_at - start[0])

    async def place_order(self) -> Envelope:
        s = self.scenario
        if self._rng.random() < s.poison_sku_rate:
            product = next((p for p in s.products if p["sku"] == s.poison_sku), s.products[-1])
        else:
            regular = [p for p in s.products if p["sku"] != s.poison_sku] or s.products
            product = self._rng.choice(regular)
        quantity = self._rng.randint(1, 3)
        self.orders_placed += 1
        order_id = f"ord-{self.orders_placed:06d}-{self._rng.randrange(16**4):04x}"
        event = Envelope(
            type="OrderPlaced",
            source=s.source + "/storefront",
            subject=order_id,
            key=order_id,
            extensions={"dataschema": schema_uri("OrderPlaced")},
            data={
                "orderId": order_id,
                "customerId": self._rng.choice(s.customers),
                "items": [{"sku": product["sku"], "name": product["name"], "qty": quantity}],
                "total": round(float(product["price"]) * quantity, 2),
                "currency": "EUR",
            },
        )
        event.correlation_id = event.id  # the order's first event starts its chain
        return await self.bus.publish(event, "orders.placed")

    # -- the services -----------------------------------------------------------------

    def _later(self, event: Envelope, topic: str, *, twice: bool = False) -> None:
        """Publish ``event`` after a few milliseconds, without holding up the handler.

        The task copies the handler's context, so the bus still links the event to the
        one being handled (correlation and causation).
        """
        if self._stopping:
            return
        lo, hi = self.scenario.step_delay_ms
        delay = self._rng.uniform(lo, hi) / 1000.0

        async def publish() -> None:
            await asyncio.sleep(delay)
            event.time = now()  # the step happened now, after its processing delay
            await self.bus.publish(event, topic)
            if twice:  # an at-least-once transport delivering the same event again
                await asyncio.sleep(delay / 2)
                await self.bus.publish(event, topic)

        task = asyncio.get_running_loop().create_task(publish())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _next(self, order: Envelope, type_: str, service: str, data: dict[str, Any]) -> Envelope:
        return Envelope(
            type=type_,
            source=f"{self.scenario.source}/{service}",
            subject=order.subject,
            key=order.key,
            extensions={"dataschema": schema_uri(type_)},
            data={"orderId": (order.data or {}).get("orderId"), **data},
        )

    async def take_payment(self, order: Envelope) -> None:
        data = order.data or {}
        if self._rng.random() < self.scenario.payment_decline_rate:
            reply = self._next(
                order,
                "PaymentFailed",
                "payments",
                {"reason": "card declined", "amount": data.get("total")},
            )
            self._later(reply, "payments.failed")
            return
        reply = self._next(
            order,
            "PaymentAuthorized",
            "payments",
            {
                "amount": data.get("total"),
                "items": data.get("items", []),
                "authorization": f"auth-{self._rng.randrange(16**6):06x}",
            },
        )
        twice = self._rng.random() < self.scenario.duplicate_delivery_rate
        self._later(reply, "payments.authorized", twice=twice)

    async def reserve_inventory(self, payment: Envelope) -> None:
        items = (payment.data or {}).get("items", [])
        for item in items:
            if item.get("sku") == self.scenario.poison_sku:
                raise UnknownProduct(f"product {item.get('sku')} is not stocked in any warehouse")
        if self._rng.random() < self.scenario.warehouse_timeout_rate:
            raise WarehouseTimeout("warehouse eu-west did not answer within 200 ms")
        reply = self._next(
            payment, "InventoryReserved", "warehouse", {"items": items, "warehouse": "eu-west"}
        )
        self._later(reply, "inventory.reserved")

    async def ship_order(self, reservation: Envelope) -> None:
        reply = self._next(
            reservation,
            "OrderShipped",
            "shipping",
            {
                "carrier": self._rng.choice(["DHL", "UPS", "PostNL"]),
                "trackingNumber": f"TRK{self._rng.randrange(10**9):09d}",
            },
        )
        self._later(reply, "shipping.shipped")
