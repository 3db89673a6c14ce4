"""Exchange (private) endpoints (A4, B4, D.8-D.14). All numbers are strings; JWT required."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from tradetui.sandbox.context import Ctx, Endpoint, Reply
from tradetui.sandbox.orders import WireOrder
from tradetui.sandbox.wire import ApiError, iso_kst, num_text

WEEK_MS = 7 * 86_400_000


def _invalid(ctx: Ctx, message: str) -> ApiError:
    return ApiError(400, "validation_error" if ctx.state.is_upbit else "invalid_parameter", message)


def _ident_name(ctx: Ctx) -> str:
    return "identifier" if ctx.state.is_upbit else "client_order_id"


def _my_orders(ctx: Ctx) -> Iterable[WireOrder]:
    key = ctx.me.access_key
    return (order for order in ctx.state.engine.orders.values() if order.access_key == key)


def _find(ctx: Ctx, id_param: str = "uuid") -> WireOrder:
    order_id = ctx.params.get(id_param)
    identifier = ctx.params.get(_ident_name(ctx))
    if not order_id and not identifier:
        raise _invalid(ctx, f"{id_param} or {_ident_name(ctx)} is required")
    if order_id:  # the id wins when both are given (A4.4)
        order = ctx.state.engine.orders.get(order_id)
    else:
        assert identifier is not None
        found = ctx.me.identifiers.get(identifier)
        order = ctx.state.engine.orders.get(found) if found else None
    if order is None or order.access_key != ctx.me.access_key:
        raise ApiError(404, "order_not_found", "주문을 찾지 못했습니다. (order not found)")
    if not ctx.state.is_upbit and ctx.now_ms - order.created_ms < ctx.state.config.order_not_ready_ms:
        raise ApiError(422, "order_not_ready", "the order is not ready yet; retry shortly")
    return order


def accounts(ctx: Ctx) -> Reply:
    return 200, ctx.me.wire_rows()


def chance(ctx: Ctx) -> Reply:
    code = ctx.params.get("market")
    if not code:
        raise _invalid(ctx, "market is required")
    market = ctx.state.markets.get(code)
    if market is None:
        raise ApiError(400, "notfoundmarket", f"market {code} does not exist")
    rules = ctx.state.engine.rules_at(ctx.now_ms)
    quote, base = code.split("-", 1)
    upbit = ctx.state.is_upbit
    extra = ["best_ioc", "best_fok", "limit_ioc", "limit_fok"] if upbit else []
    return 200, {
        "bid_fee": num_text(rules.taker_fee),
        "ask_fee": num_text(rules.taker_fee),
        "maker_bid_fee": num_text(rules.maker_fee),
        "maker_ask_fee": num_text(rules.maker_fee),
        "market": {
            "id": code,
            "name": f"{base}/{quote}",
            "order_types": ["limit"],
            "order_sides": ["ask", "bid"],
            "bid_types": ["limit", "price", *extra],
            "ask_types": ["limit", "market", *extra],
            "bid": {"currency": quote, "min_total": num_text(rules.min_total_krw)},
            "ask": {"currency": base, "min_total": num_text(rules.min_total_krw)},
            "max_total": num_text(rules.max_total_krw),
            "state": "active" if market.spec.is_active else "inactive",
        },
        "bid_account": ctx.me.wire_row(quote),
        "ask_account": ctx.me.wire_row(base),
    }


def create_order(ctx: Ctx) -> Reply:
    order, _ = ctx.state.engine.place(ctx.me, ctx.params.scalars(), ctx.now_ms)
    return 201, order.to_wire(ctx.state.profile)


def create_order_v2(ctx: Ctx) -> Reply:
    order, _ = ctx.state.engine.place(ctx.me, ctx.params.scalars(), ctx.now_ms)
    data: dict[str, Any] = {
        "order_id": order.id,
        "market": order.market,
        "side": order.side,
        "order_type": order.ord_type,
        "created_at": iso_kst(order.created_ms),
    }
    if order.identifier is not None:
        data["client_order_id"] = order.identifier
    return 201, data


def test_order(ctx: Ctx) -> Reply:
    return 201, ctx.state.engine.preview(ctx.me, ctx.params.scalars(), ctx.now_ms)


def get_order(ctx: Ctx) -> Reply:
    return 200, _find(ctx).to_wire(ctx.state.profile, with_trades=True)


def cancel_order(ctx: Ctx) -> Reply:
    return 200, ctx.state.engine.request_cancel(_find(ctx), ctx.now_ms)


def cancel_order_v2(ctx: Ctx) -> Reply:
    order = _find(ctx, "order_id")
    ctx.state.engine.request_cancel(order, ctx.now_ms)
    return 200, {"order_id": order.id, "client_order_id": order.identifier, "created_at": iso_kst(order.created_ms)}


def cancel_and_new(ctx: Ctx) -> Reply:
    """Upbit ``POST /v1/orders/cancel_and_new``: cancel an open order and place its replacement."""
    params = ctx.params
    prev_id, prev_identifier = params.get("prev_order_uuid"), params.get("prev_order_identifier")
    if not prev_id and not prev_identifier:
        raise _invalid(ctx, "prev_order_uuid or prev_order_identifier is required")
    found = prev_id or ctx.me.identifiers.get(prev_identifier or "")
    order = ctx.state.engine.orders.get(found or "")
    if order is None or order.access_key != ctx.me.access_key:
        raise ApiError(404, "order_not_found", "order not found")
    new_identifier = params.get("new_identifier")
    if new_identifier is not None and new_identifier == order.identifier:
        raise _invalid(ctx, "new_identifier must differ from the previous order's identifier")
    volume = params.get("new_volume")
    if volume == "remain_only":
        volume = None if order.remaining_volume is None else num_text(order.remaining_volume)
    fields = {
        "market": order.market,
        "side": order.side,
        "ord_type": params.get("new_ord_type"),
        "price": params.get("new_price"),
        "volume": volume,
        "identifier": new_identifier,
        "time_in_force": params.get("new_time_in_force"),
        "smp_type": params.get("new_smp_type"),
    }
    new_fields = {key: value for key, value in fields.items() if value is not None}
    engine = ctx.state.engine
    engine.validator.parse(new_fields)
    answer = order.to_wire("upbit")
    engine.cancel_now(order, ctx.now_ms)
    new_order, _ = engine.place(ctx.me, new_fields, ctx.now_ms)
    answer["new_order_uuid"] = new_order.id
    if new_order.identifier is not None:
        answer["new_order_identifier"] = new_order.identifier
    return 200, answer


# -- lists -----------------------------------------------------------------------------------------
def _states(ctx: Ctx, allowed: tuple[str, ...], default: tuple[str, ...]) -> set[str]:
    states = ctx.params.all("states") or ctx.params.all("state") or list(default)
    if not set(states) <= set(allowed):
        raise _invalid(ctx, f"state must be among {', '.join(allowed)}")
    if "watch" in states and len(set(states)) > 1 and not ctx.state.is_upbit:
        raise _invalid(ctx, "watch cannot be combined with other states")
    return set(states)


def _ordered(ctx: Ctx, orders: Iterable[WireOrder]) -> list[WireOrder]:
    order_by = ctx.params.get("order_by") or "desc"
    if order_by not in ("asc", "desc"):
        raise _invalid(ctx, "order_by must be asc or desc")
    return sorted(orders, key=lambda o: o.sequence, reverse=order_by == "desc")


def _page(ctx: Ctx, orders: list[WireOrder]) -> list[dict[str, Any]]:
    page = ctx.params.int_in("page", 1, 1, 1_000_000)
    limit = ctx.params.int_in("limit", 100, 1, 100)
    chosen = orders[(page - 1) * limit : page * limit]
    return [order.to_wire(ctx.state.profile) for order in chosen]


def _in_market(ctx: Ctx, order: WireOrder) -> bool:
    market = ctx.params.get("market")
    return market is None or order.market == market


def orders_open(ctx: Ctx) -> Reply:
    states = _states(ctx, ("wait", "watch"), ("wait",))
    return 200, _page(ctx, _ordered(ctx, (o for o in _my_orders(ctx) if o.state in states and _in_market(ctx, o))))


def _time(ctx: Ctx, name: str) -> int | None:
    text = ctx.params.get(name)
    if not text:
        return None
    cleaned = text.strip()
    if len(cleaned) > 19 and cleaned[19] == " ":
        cleaned = cleaned[:19] + "+" + cleaned[20:]
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(ctx, f"{name} must be ISO-8601") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


def orders_closed(ctx: Ctx) -> Reply:
    states = _states(ctx, ("done", "cancel"), ("done", "cancel"))
    start, end = _time(ctx, "start_time"), _time(ctx, "end_time")
    if start is None and end is None:
        end = ctx.now_ms
    if start is None:
        assert end is not None
        start = end - WEEK_MS
    if end is None:
        end = start + WEEK_MS
    if end - start > WEEK_MS or end < start:
        raise _invalid(ctx, "start_time..end_time must be a window of at most 7 days")
    limit = ctx.params.int_in("limit", 100, 1, 1000)
    chosen = _ordered(
        ctx, (o for o in _my_orders(ctx) if o.state in states and _in_market(ctx, o) and start <= o.created_ms <= end)
    )
    return 200, [order.to_wire(ctx.state.profile) for order in chosen[:limit]]


def _by_ids(ctx: Ctx, id_name: str) -> list[WireOrder]:
    ids = ctx.params.all(f"{id_name}s")
    idents = ctx.params.all(f"{_ident_name(ctx)}s")
    wanted = set(ids)
    wanted.update(found for i in idents if (found := ctx.me.identifiers.get(i)))
    return [o for o in _my_orders(ctx) if o.id in wanted and _in_market(ctx, o)]


def orders_by_uuids(ctx: Ctx) -> Reply:
    if not ctx.params.all("uuids") and not ctx.params.all("identifiers"):
        raise _invalid(ctx, "uuids[] or identifiers[] is required")
    return 200, [order.to_wire("upbit") for order in _ordered(ctx, _by_ids(ctx, "uuid"))]


def orders_bithumb(ctx: Ctx) -> Reply:
    states = _states(ctx, ("wait", "watch", "done", "cancel"), ("wait",))
    pool = _by_ids(ctx, "uuid") if ctx.params.all("uuids") or ctx.params.all("client_order_ids") else _my_orders(ctx)
    return 200, _page(ctx, _ordered(ctx, (o for o in pool if o.state in states and _in_market(ctx, o))))


def _cancel_many(ctx: Ctx, orders: list[WireOrder], missing: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    success: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for order in orders:
        row = {"uuid": order.id, "market": order.market, "identifier": order.identifier}
        try:
            ctx.state.engine.request_cancel(order, ctx.now_ms)
        except ApiError as error:
            failed.append({**row, "error": error.body()["error"]})
        else:
            success.append(row)
    for order_id, identifier in missing:
        failed.append(
            {
                "uuid": order_id,
                "market": None,
                "identifier": identifier,
                "error": {"name": "order_not_found", "message": "order not found"},
            }
        )
    return {"success": {"count": len(success), "orders": success}, "failed": {"count": len(failed), "orders": failed}}


def cancel_by_uuids(ctx: Ctx) -> Reply:
    ids, idents = ctx.params.all("uuids"), ctx.params.all("identifiers")
    if not ids and not idents:
        raise _invalid(ctx, "uuids[] or identifiers[] is required")
    if len(ids) + len(idents) > 20:
        raise _invalid(ctx, "at most 20 orders per call")
    found = {o.id: o for o in _my_orders(ctx) if o.id in set(ids)}
    orders = [found[i] for i in ids if i in found]
    missing: list[tuple[str | None, str | None]] = [(i, None) for i in ids if i not in found]
    for identifier in idents:
        order_id = ctx.me.identifiers.get(identifier)
        order = ctx.state.engine.orders.get(order_id) if order_id else None
        if order is None:
            missing.append((None, identifier))
        else:
            orders.append(order)
    return 200, _cancel_many(ctx, orders, missing)


def cancel_open(ctx: Ctx) -> Reply:
    side = ctx.params.get("cancel_side") or "all"
    if side not in ("all", "ask", "bid"):
        raise _invalid(ctx, "cancel_side must be all, ask or bid")
    pairs = {p for p in (ctx.params.get("pairs") or "").split(",") if p}
    excluded = {p for p in (ctx.params.get("excluded_pairs") or "").split(",") if p}
    quotes = {q for q in (ctx.params.get("quote_currencies") or "").split(",") if q}
    count = ctx.params.int_in("count", 20, 1, 300)
    chosen = [
        o
        for o in _ordered(ctx, _my_orders(ctx))
        if o.is_open
        and o.cancel_due_ms is None
        and (side == "all" or o.side == side)
        and (not pairs or o.market in pairs)
        and o.market not in excluded
        and (not quotes or o.quote in quotes)
    ]
    return 200, _cancel_many(ctx, chosen[:count], [])


def _private(method: str, path: str, handler: Any, group: str, category: str, *profiles: str) -> Endpoint:
    return Endpoint(method, path, handler, group, category, True, profiles or ("upbit", "bithumb"))


ENDPOINTS = (
    _private("GET", "/v1/accounts", accounts, "default", "private-other"),
    _private("GET", "/v1/orders/chance", chance, "default", "private-other"),
    _private("POST", "/v1/orders", create_order, "order", "private-order"),
    _private("POST", "/v1/orders/test", test_order, "order-test", "private-order", "upbit"),
    _private("POST", "/v1/orders/cancel_and_new", cancel_and_new, "order", "private-order", "upbit"),
    _private("GET", "/v1/order", get_order, "default", "private-other"),
    _private("DELETE", "/v1/order", cancel_order, "default", "private-cancel"),
    _private("GET", "/v1/orders/open", orders_open, "default", "private-other", "upbit"),
    _private("GET", "/v1/orders/closed", orders_closed, "default", "private-other", "upbit"),
    _private("GET", "/v1/orders/uuids", orders_by_uuids, "default", "private-other", "upbit"),
    _private("DELETE", "/v1/orders/uuids", cancel_by_uuids, "default", "private-cancel", "upbit"),
    _private("DELETE", "/v1/orders/open", cancel_open, "order-cancel-all", "private-cancel", "upbit"),
    _private("GET", "/v1/orders", orders_bithumb, "default", "private-other", "bithumb"),
    _private("POST", "/v2/orders", create_order_v2, "order", "private-order", "bithumb"),
    _private("DELETE", "/v2/order", cancel_order_v2, "default", "private-cancel", "bithumb"),
)
