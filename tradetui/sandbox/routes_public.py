"""Quotation endpoints (A3, B3, D.5-D.7). Numbers are JSON numbers; errors have numeric names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from tradetui.core.clock import KST
from tradetui.sandbox.candles import DAY_MS, MINUTE_MS, MINUTE_UNITS, SECOND_MS, Calendar, Candle, Period, period_end
from tradetui.sandbox.context import Ctx, Endpoint, Reply
from tradetui.sandbox.market import MarketSim
from tradetui.sandbox.wire import ApiError, json_number, naive_kst, naive_utc

CAUTION_FLAGS = (
    "PRICE_FLUCTUATIONS",
    "TRADING_VOLUME_SOARING",
    "DEPOSIT_AMOUNT_SOARING",
    "GLOBAL_PRICE_DIFFERENCES",
    "CONCENTRATION_OF_SMALL_ACCOUNTS",
)


_SEQUENTIAL_ID = re.compile(r"[0-9]{1,30}")
_CLOCK_TIME = re.compile(r"(?P<h>[0-9]{2}):?(?P<m>[0-9]{2}):?(?P<s>[0-9]{2})")


def _missing(name: str) -> ApiError:
    return ApiError(400, 400, f"Missing request parameter error. Check the required parameters! ({name})")


def _market(ctx: Ctx, code: str | None) -> MarketSim:
    if not code:
        raise _missing("market")
    found = ctx.state.markets.get(code)
    if found is None:
        raise ApiError(404, 404, "Code not found")
    return found


def _markets(ctx: Ctx) -> list[MarketSim]:
    text = ctx.params.get("markets")
    codes = [code.strip() for code in (text or "").split(",") if code.strip()]
    if not codes:
        raise _missing("markets")
    return [_market(ctx, code) for code in codes]


def _flag(text: str | None) -> bool:
    return (text or "").lower() == "true"


def market_all(ctx: Ctx) -> Reply:
    upbit = ctx.state.is_upbit
    details = _flag(ctx.params.get("is_details") or ctx.params.get("isDetails"))
    rows: list[dict[str, Any]] = []
    for market in ctx.state.markets.values():
        spec = market.spec
        row: dict[str, Any] = {"market": spec.code, "korean_name": spec.korean_name, "english_name": spec.english_name}
        if details and upbit:
            row["market_event"] = {
                "warning": spec.warning,
                "caution": {flag: flag in spec.cautions for flag in CAUTION_FLAGS},
            }
        elif details:
            row["market_warning"] = "CAUTION" if spec.warning else "NONE"
        rows.append(row)
    return 200, rows


# -- candles -------------------------------------------------------------------------------------
def parse_to(ctx: Ctx, text: str) -> int:
    """The exclusive ``to`` bound in epoch ms: naive = UTC (Upbit) or KST (Bithumb, offsets refused)."""
    cleaned = text.strip()
    if len(cleaned) > 19 and cleaned[19] == " ":  # an unencoded '+09:00' arrives as ' 09:00'
        cleaned = cleaned[:19] + "+" + cleaned[20:]
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        shown = text if len(text) <= 40 else f"{text[:25]}... ({len(text)} characters)"
        raise ApiError(400, 400, f"Type mismatch error. 'to' must be yyyy-MM-ddTHH:mm:ss, got {shown!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if ctx.state.is_upbit else KST)
    elif not ctx.state.is_upbit:
        raise ApiError(400, 400, "'to' must be a KST time without an offset")
    return int(moment.timestamp() * 1000)


def _candle_json(ctx: Ctx, market: MarketSim, candle: Candle, period: Period) -> dict[str, Any]:
    """One candle with the fields of its unit (A3.2, B3): ``unit`` on minutes, the change on
    days, ``first_day_of_period`` on weeks, months and years; seconds have neither."""
    data: dict[str, Any] = {
        "market": market.code,
        "candle_date_time_utc": naive_utc(candle.start_ms),
        "candle_date_time_kst": naive_kst(candle.start_ms),
        "opening_price": json_number(candle.open),
        "high_price": json_number(candle.high),
        "low_price": json_number(candle.low),
        "trade_price": json_number(candle.close),
        # Upbit: time of the last trade; Bithumb documents the candle's end time (B3).
        "timestamp": candle.last_trade_ms if ctx.state.is_upbit else period_end(period, candle.start_ms),
        "candle_acc_trade_price": float(candle.turnover),
        "candle_acc_trade_volume": float(candle.volume),
    }
    if isinstance(period, Calendar):
        data["first_day_of_period"] = naive_utc(candle.start_ms)[:10]
    elif period == DAY_MS:
        previous = market.candles.previous(DAY_MS, candle.start_ms)
        prev_close = previous.close if previous is not None else candle.open
        change = candle.close - prev_close
        data["prev_closing_price"] = json_number(prev_close)
        data["change_price"] = json_number(change)
        data["change_rate"] = float((change / prev_close).quantize(Decimal("1e-10")))
    elif period >= MINUTE_MS:
        data["unit"] = period // MINUTE_MS
    return data


def _candles(ctx: Ctx, period: Period) -> Reply:
    market = _market(ctx, ctx.params.get("market"))
    count = ctx.params.int_in("count", 1, 1, 200, numeric=True)
    to_text = ctx.params.get("to")
    before = parse_to(ctx, to_text) if to_text else None
    rows = market.candles.newest_first(period, before_ms=before, count=count)
    return 200, [_candle_json(ctx, market, candle, period) for candle in rows]


def candles_seconds(ctx: Ctx) -> Reply:
    return _candles(ctx, SECOND_MS)


def candles_minutes(ctx: Ctx) -> Reply:
    text = ctx.path["unit"]
    unit = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else 0
    if unit not in MINUTE_UNITS:
        raise ApiError(400, 400, f"unit must be one of {', '.join(map(str, MINUTE_UNITS))}")
    return _candles(ctx, unit * MINUTE_MS)


def candles_days(ctx: Ctx) -> Reply:
    return _candles(ctx, DAY_MS)


def candles_weeks(ctx: Ctx) -> Reply:
    return _candles(ctx, Calendar.WEEKS)


def candles_months(ctx: Ctx) -> Reply:
    return _candles(ctx, Calendar.MONTHS)


def candles_years(ctx: Ctx) -> Reply:
    return _candles(ctx, Calendar.YEARS)


# -- ticker, book, trades -------------------------------------------------------------------------
def ticker_json(ctx: Ctx, market: MarketSim) -> dict[str, Any]:
    now = ctx.now_ms
    day_start = now - now % DAY_MS
    candles = market.candles
    today = candles.get(DAY_MS, day_start)
    previous = candles.previous(DAY_MS, day_start)
    last = market.last_price
    last_trade = market.trades[-1] if market.trades else None
    trade_ms = last_trade.ts_ms if last_trade else (today.last_trade_ms if today else now)
    opening = today.open if today else last
    prev_close = previous.close if previous else opening
    change = last - prev_close
    rate = (change / prev_close).quantize(Decimal("1e-10"))
    day_minutes = list(candles.since(MINUTE_MS, now - DAY_MS))
    year = list(candles.since(DAY_MS, day_start - 364 * DAY_MS))
    high52 = max(year, key=lambda c: c.high) if year else None
    low52 = min(year, key=lambda c: c.low) if year else None
    utc, kst = datetime.fromtimestamp(trade_ms / 1000, UTC), datetime.fromtimestamp(trade_ms / 1000, KST)
    data: dict[str, Any] = {
        "market": market.code,
        "trade_date": utc.strftime("%Y%m%d"),
        "trade_time": utc.strftime("%H%M%S"),
        "trade_date_kst": kst.strftime("%Y%m%d"),
        "trade_time_kst": kst.strftime("%H%M%S"),
        "trade_timestamp": trade_ms,
        "opening_price": json_number(opening),
        "high_price": json_number(today.high if today else last),
        "low_price": json_number(today.low if today else last),
        "trade_price": json_number(last),
        "prev_closing_price": json_number(prev_close),
        "change": "RISE" if change > 0 else "FALL" if change < 0 else "EVEN",
        "change_price": json_number(abs(change)),
        "change_rate": float(abs(rate)),
        "signed_change_price": json_number(change),
        "signed_change_rate": float(rate),
        "trade_volume": float(last_trade.volume) if last_trade else 0.0,
        "acc_trade_price": float(today.turnover) if today else 0.0,
        "acc_trade_price_24h": float(sum((c.turnover for c in day_minutes), Decimal(0))),
        "acc_trade_volume": float(today.volume) if today else 0.0,
        "acc_trade_volume_24h": float(sum((c.volume for c in day_minutes), Decimal(0))),
        "highest_52_week_price": json_number(high52.high) if high52 else json_number(last),
        "highest_52_week_date": naive_utc(high52.start_ms)[:10] if high52 else utc.strftime("%Y-%m-%d"),
        "lowest_52_week_price": json_number(low52.low) if low52 else json_number(last),
        "lowest_52_week_date": naive_utc(low52.start_ms)[:10] if low52 else utc.strftime("%Y-%m-%d"),
        "timestamp": now,
    }
    if not ctx.state.is_upbit:
        data["market_state"] = "ACTIVE" if market.spec.is_active else "PREVIEW"
        data["market_warning"] = "CAUTION" if market.spec.warning else "NONE"
    return data


def ticker(ctx: Ctx) -> Reply:
    return 200, [ticker_json(ctx, market) for market in _markets(ctx)]


def ticker_all(ctx: Ctx) -> Reply:
    quotes = {q.strip() for q in (ctx.params.get("quote_currencies") or "KRW").split(",")}
    markets = [m for m in ctx.state.markets.values() if m.code.split("-")[0] in quotes]
    return 200, [ticker_json(ctx, market) for market in markets]


def orderbook_json(market: MarketSim, now_ms: int, depth: int, level: Decimal | int = 0) -> dict[str, Any]:
    asks, bids = market.book(now_ms)
    units = []
    for index in range(depth):
        ask = asks[index] if index < len(asks) else None
        bid = bids[index] if index < len(bids) else None
        units.append(
            {
                "ask_price": json_number(ask[0]) if ask else 0,
                "bid_price": json_number(bid[0]) if bid else 0,
                "ask_size": float(ask[1]) if ask else 0,
                "bid_size": float(bid[1]) if bid else 0,
            }
        )
    return {
        "market": market.code,
        "timestamp": now_ms,
        "total_ask_size": float(sum((level[1] for level in asks[:depth]), Decimal(0))),
        "total_bid_size": float(sum((level[1] for level in bids[:depth]), Decimal(0))),
        "orderbook_units": units,
        "level": level,
    }


def orderbook(ctx: Ctx) -> Reply:
    markets = _markets(ctx)
    if ctx.state.is_upbit:
        depth = ctx.params.int_in("count", 30, 1, 30, numeric=True)
    else:
        depth = 30 if len(markets) == 1 else 15
    depth = min(depth, ctx.state.config.book_depth)
    return 200, [orderbook_json(market, ctx.now_ms, depth) for market in markets]


def instruments(ctx: Ctx) -> Reply:
    rows = []
    for market in _markets(ctx):
        tick = market.table(ctx.now_ms).tick_for(market.last_price)
        rows.append(
            {
                "market": market.code,
                "quote_currency": market.code.split("-")[0],
                "tick_size": format(tick.normalize(), "f"),
                "supported_levels": ["0"],
            }
        )
    return 200, rows


def trades_ticks(ctx: Ctx) -> Reply:
    market = _market(ctx, ctx.params.get("market"))
    count = ctx.params.int_in("count", 1, 1, 500, numeric=True)
    days_ago = ctx.params.int_in("days_ago" if ctx.state.is_upbit else "daysAgo", 0, 0, 7, numeric=True)
    zone = UTC if ctx.state.is_upbit else KST
    cursor_text = ctx.params.get("cursor")
    cursor: int | None = None
    if cursor_text:
        if not _SEQUENTIAL_ID.fullmatch(cursor_text):
            raise ApiError(400, 400, "Type mismatch error. 'cursor' must be a sequential_id (digits)")
        cursor = int(cursor_text)
    day = datetime.fromtimestamp(ctx.now_ms / 1000, zone).date() - timedelta(days=days_ago)
    upper: int | None = None
    to_text = ctx.params.get("to")
    if to_text:
        clock = _CLOCK_TIME.fullmatch(to_text)
        if clock is None or int(clock["h"]) > 23 or int(clock["m"]) > 59 or int(clock["s"]) > 59:
            raise ApiError(400, 400, "Type mismatch error. 'to' must be HHmmss or HH:mm:ss (00:00:00 to 23:59:59)")
        clock_time = time(int(clock["h"]), int(clock["m"]), int(clock["s"]))
        upper = int(datetime.combine(day, clock_time, zone).timestamp() * 1000)
    elif days_ago:
        upper = int(datetime.combine(day + timedelta(days=1), datetime.min.time(), zone).timestamp() * 1000)
    rows: list[dict[str, Any]] = []
    for trade in reversed(market.trades):
        if upper is not None and trade.ts_ms >= upper:
            continue
        if cursor is not None and trade.sequential_id >= cursor:
            continue
        moment = datetime.fromtimestamp(trade.ts_ms / 1000, UTC)
        rows.append(
            {
                "market": market.code,
                "trade_date_utc": moment.strftime("%Y-%m-%d"),
                "trade_time_utc": moment.strftime("%H:%M:%S"),
                "timestamp": trade.ts_ms,
                "trade_price": json_number(trade.price),
                "trade_volume": float(trade.volume),
                "prev_closing_price": json_number(trade.prev_closing_price),
                "change_price": json_number(trade.price - trade.prev_closing_price),
                "ask_bid": trade.ask_bid,
                "sequential_id": trade.sequential_id,
            }
        )
        if len(rows) >= count:
            break
    return 200, rows


ENDPOINTS = (
    Endpoint("GET", "/v1/market/all", market_all, "market", "public-other"),
    Endpoint("GET", "/v1/candles/seconds", candles_seconds, "candle", "public-candle", profiles=("upbit",)),
    Endpoint("GET", "/v1/candles/minutes/{unit}", candles_minutes, "candle", "public-candle"),
    Endpoint("GET", "/v1/candles/days", candles_days, "candle", "public-candle"),
    Endpoint("GET", "/v1/candles/weeks", candles_weeks, "candle", "public-candle"),
    Endpoint("GET", "/v1/candles/months", candles_months, "candle", "public-candle"),
    Endpoint("GET", "/v1/candles/years", candles_years, "candle", "public-candle", profiles=("upbit",)),
    Endpoint("GET", "/v1/ticker", ticker, "ticker", "public-ticker"),
    Endpoint("GET", "/v1/ticker/all", ticker_all, "ticker", "public-ticker", profiles=("upbit",)),
    Endpoint("GET", "/v1/orderbook", orderbook, "orderbook", "public-orderbook"),
    Endpoint("GET", "/v1/orderbook/instruments", instruments, "orderbook", "public-orderbook", profiles=("upbit",)),
    Endpoint("GET", "/v1/trades/ticks", trades_ticks, "trade", "public-trade"),
)
