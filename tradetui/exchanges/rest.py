"""``ExchangeClient``: the Upbit / Bithumb (API 2.0) REST API as typed async methods.

Market data needs no keys (public-only mode); account and order calls need both keys. All calls
go through one :class:`~tradetui.exchanges.transport.RestTransport` (rate budget, signing,
retries, error classification). Order placement is never retried here: a timeout or 5xx raises
``OrderStateUnknown`` and the caller resolves it with :meth:`ExchangeClient.get_order` by
identifier.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx

from tradetui.core.clock import KST, Clock
from tradetui.core.market import Bar, MarketInfo, OrderBook, Ticker, Timeframe, TradeTick
from tradetui.core.orders import Fill, Order, OrdType
from tradetui.core.ports import Balance
from tradetui.errors import ConfigError, OrderStateUnknown
from tradetui.exchanges.errors import InvalidOrderParameter, MalformedResponse, UnsupportedEndpoint
from tradetui.exchanges.parse import (
    parse_balance,
    parse_candle,
    parse_chance,
    parse_market,
    parse_order,
    parse_order_fills,
    parse_orderbook,
    parse_tick_info,
    parse_ticker,
    parse_trade,
)
from tradetui.exchanges.profiles import ExchangeProfile, OrderApi
from tradetui.exchanges.ratelimit import RateBudget, Sleep
from tradetui.exchanges.rules import OrderChance, TickInfo
from tradetui.exchanges.transport import DEFAULT_TIMEOUT, RestTransport

log = logging.getLogger(__name__)

MAX_CANDLES = 200
_PAGE_LIMIT = 100
_MAX_PAGES = 50
_WEEK_MS = 7 * 86_400_000


def candle_path(timeframe: Timeframe) -> str:
    if timeframe is Timeframe.D1:
        return "/v1/candles/days"
    return f"/v1/candles/minutes/{timeframe.seconds // 60}"


def format_candle_to(profile: ExchangeProfile, to_ms: int) -> str:
    """The exclusive ``to`` bound: Upbit ISO UTC with ``Z``, Bithumb naive KST.

    Rounded *up* to the second (candles start on whole seconds, so nothing before ``to_ms`` is lost).
    """
    seconds = -(-to_ms // 1000)
    if profile.candle_to_is_kst:
        return datetime.fromtimestamp(seconds, KST).strftime("%Y-%m-%dT%H:%M:%S")
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_utc(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_number(value: Decimal) -> str:
    """A Decimal as the plain text both exchanges expect (never exponent form)."""
    return format(value, "f")


def _as_list(data: Any, what: str) -> list[Any]:
    if not isinstance(data, list):
        raise MalformedResponse(f"{what}: expected a JSON array, got {type(data).__name__}")
    return data


class ExchangeClient:
    """Typed REST calls for one exchange. Use as ``async with ExchangeClient(UPBIT) as client``."""

    def __init__(
        self,
        profile: ExchangeProfile,
        *,
        access_key: str | None = None,
        secret_key: str | None = None,
        http: httpx.AsyncClient | None = None,
        base_url: str | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        budget: RateBudget | None = None,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        max_get_attempts: int = 4,
        jwt_alg: str | None = None,
    ) -> None:
        if profile.order_api is not OrderApi.V1:
            raise ConfigError(f"{profile.exchange}: order_api={profile.order_api} is not supported yet; use v1")
        self.profile = profile
        self.transport = RestTransport(
            profile,
            access_key=access_key,
            secret_key=secret_key,
            http=http,
            base_url=base_url,
            timeout=timeout,
            budget=budget,
            clock=clock,
            sleep=sleep,
            max_get_attempts=max_get_attempts,
            jwt_alg=jwt_alg,
        )

    async def __aenter__(self) -> ExchangeClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.aclose()

    @property
    def last_response_headers(self) -> httpx.Headers | None:
        """Headers of the newest answer (``Date``, ``Remaining-Req``/``x-ratelimit-*``); None before any."""
        return self.transport.last_response_headers

    async def _get(self, path: str, params: Sequence[tuple[str, str]] = (), *, private: bool = False) -> Any:
        return await self.transport.request("GET", path, params, private=private)

    # --- market data ------------------------------------------------------------------------------

    async def markets(self, *, details: bool = True) -> list[MarketInfo]:
        params = [(self.profile.market_details_param, "true" if details else "false")]
        data = await self._get("/v1/market/all", params)
        return [parse_market(item) for item in _as_list(data, "market/all")]

    async def candles(
        self, market: str, timeframe: Timeframe, *, to_ms: int | None = None, count: int = MAX_CANDLES
    ) -> list[Bar]:
        """One page of candles strictly before ``to_ms`` (latest when None), oldest first.

        The newest candle of a page fetched without ``to_ms`` may still be forming.
        """
        if not 1 <= count <= MAX_CANDLES:
            raise ValueError(f"count must be 1..{MAX_CANDLES}, got {count}")
        params = [("market", market), ("count", str(count))]
        if to_ms is not None:
            params.insert(1, ("to", format_candle_to(self.profile, to_ms)))
        data = await self._get(candle_path(timeframe), params)
        bars = [parse_candle(item, timeframe) for item in _as_list(data, "candles")]
        bars.sort(key=lambda bar: bar.ts_s)
        return bars

    async def candles_between(
        self, market: str, timeframe: Timeframe, start_ms: int, end_ms: int
    ) -> AsyncIterator[list[Bar]]:
        """Candles with ``start_ms <= open time < end_ms``, one page (oldest first) at a time.

        Pages go backwards from ``end_ms`` (newest page first), 200 candles each, each next ``to``
        being the oldest open time seen (``to`` is exclusive, so no candle repeats). Stops at
        ``start_ms``, at an empty or short page (the start of the market's history).
        """
        if start_ms >= end_ms:
            return
        to_ms = end_ms
        while True:
            page = await self.candles(market, timeframe, to_ms=to_ms, count=MAX_CANDLES)
            if not page:
                return
            oldest_ms = page[0].ts_s * 1000
            if oldest_ms >= to_ms:
                raise MalformedResponse(
                    f"candles {market} {timeframe}: page before {to_ms} starts at {oldest_ms}; paging would not advance"
                )
            wanted = [bar for bar in page if start_ms <= bar.ts_s * 1000 < to_ms]
            if wanted:
                yield wanted
            if oldest_ms <= start_ms or len(page) < MAX_CANDLES:
                return
            to_ms = oldest_ms

    async def ticker(self, markets: Sequence[str]) -> list[Ticker]:
        data = await self._get("/v1/ticker", [("markets", ",".join(markets))])
        return [parse_ticker(item) for item in _as_list(data, "ticker")]

    async def orderbook(self, markets: Sequence[str], *, count: int | None = None) -> list[OrderBook]:
        params = [("markets", ",".join(markets))]
        if count is not None:
            params.append(("count", str(count)))
        data = await self._get("/v1/orderbook", params)
        return [parse_orderbook(item) for item in _as_list(data, "orderbook")]

    async def trades(self, market: str, count: int = 200) -> list[TradeTick]:
        """Recent public trades, oldest first."""
        if not 1 <= count <= 500:
            raise ValueError(f"count must be 1..500, got {count}")
        data = await self._get("/v1/trades/ticks", [("market", market), ("count", str(count))])
        ticks = [parse_trade(item) for item in _as_list(data, "trades/ticks")]
        ticks.sort(key=lambda tick: (tick.ts_ms, tick.sequential_id))
        return ticks

    async def tick_sizes(self, markets: Sequence[str]) -> dict[str, TickInfo]:
        """Upbit's ``/v1/orderbook/instruments``; Bithumb has no such endpoint (use the tick table)."""
        if not self.profile.has_instruments_endpoint:
            raise UnsupportedEndpoint(f"{self.profile.exchange} has no tick-size endpoint; use the tick table")
        data = await self._get("/v1/orderbook/instruments", [("markets", ",".join(markets))])
        infos = [parse_tick_info(item) for item in _as_list(data, "orderbook/instruments")]
        return {info.market: info for info in infos}

    # --- account ------------------------------------------------------------------------------------

    async def accounts(self) -> dict[str, Balance]:
        data = await self._get("/v1/accounts", private=True)
        balances = [parse_balance(item) for item in _as_list(data, "accounts")]
        return {balance.currency: balance for balance in balances}

    async def order_chance(self, market: str) -> OrderChance:
        return parse_chance(await self._get("/v1/orders/chance", [("market", market)], private=True))

    # --- orders -------------------------------------------------------------------------------------

    def order_params(self, order: Order) -> list[tuple[str, str]]:
        """The ordered body fields of ``order`` (A4.3): used for the JSON body and for the query hash."""
        params = [("market", order.market), ("side", order.side.value)]
        if order.ord_type is not OrdType.PRICE and order.volume is not None:
            params.append(("volume", wire_number(order.volume)))
        if order.ord_type is not OrdType.MARKET and order.price is not None:
            params.append(("price", wire_number(order.price)))
        params.append(("ord_type", order.ord_type.value))
        params.append((self.profile.client_id_field, order.identifier))
        return params

    async def place(self, order: Order) -> Order:
        """Send ``order``; the exchange's version of it (``exchange_id``, state, executed fields).

        Raises ``OrderRejected`` (definitive) or ``OrderStateUnknown`` (timeout, 5xx, unreadable
        answer: look it up by identifier, never resend). Never retried.
        """
        extra = {"client_order_id": order.identifier}
        problem = self.profile.check_client_id(order.identifier)
        if problem is not None:
            raise InvalidOrderParameter(f"{self.profile.exchange}: {problem}", "invalid_identifier")
        log.info("placing %s %s %s order", order.market, order.side, order.ord_type, extra=extra)
        data = await self.transport.request(
            "POST",
            self.profile.order_endpoints.create,
            self.order_params(order),
            private=True,
            identifier=order.identifier,
        )
        try:
            placed = parse_order(data, self.profile, identifier=order.identifier)
        except MalformedResponse as exc:
            raise OrderStateUnknown(f"{exc}; order state unknown, reconcile by identifier", order.identifier) from exc
        log.info("placed: %s as %s (%s)", order.identifier, placed.exchange_id, placed.state, extra=extra)
        return placed.with_local_fields(order)

    def _order_key(self, uuid: str | None, identifier: str | None) -> list[tuple[str, str]]:
        if uuid:
            return [("uuid", uuid)]
        if identifier:
            return [(self.profile.client_id_field, identifier)]
        raise ValueError("give uuid or identifier")

    async def get_order(self, *, uuid: str | None = None, identifier: str | None = None) -> tuple[Order, list[Fill]]:
        """One order and its fills (``uuid`` wins when both are given). ``OrderNotFound`` if it does not exist."""
        data = await self.transport.request(
            "GET",
            self.profile.order_endpoints.get,
            self._order_key(uuid, identifier),
            private=True,
            identifier=identifier,
        )
        return (
            parse_order(data, self.profile, identifier=identifier),
            parse_order_fills(data, self.profile, identifier=identifier),
        )

    async def open_orders(self, market: str | None = None) -> list[Order]:
        """Every open (``wait``/``watch``) order, newest first, all pages."""
        endpoints = self.profile.order_endpoints
        base: list[tuple[str, str]] = [("market", market)] if market else []
        states = self.profile.open_order_states
        if len(states) == 1:
            base.append(("state", states[0]))
        else:
            base.extend(("states[]", state) for state in states)
        return await self._paged(endpoints.open, base)

    async def closed_orders(
        self, market: str | None = None, start_ms: int | None = None, end_ms: int | None = None
    ) -> list[Order]:
        """Finished (``done``/``cancel``) orders created in ``[start_ms, end_ms)``, newest first.

        Upbit serves at most a 7-day window per call (a longer one raises ``ValueError``); Bithumb's
        combined list has no time filter, so it is paged newest first and filtered here.
        """
        if start_ms is not None and end_ms is not None and end_ms - start_ms > _WEEK_MS:
            raise ValueError("closed_orders: the window must be at most 7 days")
        endpoints = self.profile.order_endpoints
        params: list[tuple[str, str]] = [("market", market)] if market else []
        params += [("states[]", "done"), ("states[]", "cancel")]
        if endpoints.uses_combined_list:
            orders = await self._paged(endpoints.closed, params, stop_before_ms=start_ms)
        else:
            if start_ms is not None:
                params.append(("start_time", _iso_utc(start_ms)))
            if end_ms is not None:
                params.append(("end_time", _iso_utc(end_ms)))
            params += [("limit", "1000"), ("order_by", "desc")]
            data = await self._get(endpoints.closed, params, private=True)
            orders = [parse_order(item, self.profile) for item in _as_list(data, "orders/closed")]
        return [
            order
            for order in orders
            if (start_ms is None or order.created_ms >= start_ms) and (end_ms is None or order.created_ms < end_ms)
        ]

    async def _paged(self, path: str, base: list[tuple[str, str]], *, stop_before_ms: int | None = None) -> list[Order]:
        orders: list[Order] = []
        for page in range(1, _MAX_PAGES + 1):
            params = [*base, ("page", str(page)), ("limit", str(_PAGE_LIMIT)), ("order_by", "desc")]
            items = _as_list(await self._get(path, params, private=True), path)
            batch = [parse_order(item, self.profile) for item in items]
            orders.extend(batch)
            if len(items) < _PAGE_LIMIT:
                break
            if stop_before_ms is not None and batch and min(o.created_ms for o in batch) < stop_before_ms:
                break
        else:
            log.warning("%s: stopped listing orders after %d pages", path, _MAX_PAGES)
        return orders

    async def cancel(self, *, uuid: str | None = None, identifier: str | None = None) -> Order:
        """Ask to cancel; the answer is usually still ``wait`` (cancellation is asynchronous).

        ``OrderNotFound`` when the order is unknown or no longer open — query it to learn which.
        """
        log.info("cancelling %s", identifier or uuid, extra={"client_order_id": identifier})
        data = await self.transport.request(
            "DELETE",
            self.profile.order_endpoints.cancel,
            self._order_key(uuid, identifier),
            private=True,
            identifier=identifier,
        )
        return parse_order(data, self.profile, identifier=identifier)
