"""`tradetui data import|fetch|check`: candle files into the candle store, candles from the
exchange into it, and the quality report of a file or a stored series."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from rich.console import Console

from tradetui.candles.series import BarSeries
from tradetui.config import data_dir
from tradetui.core.market import Market, Timeframe
from tradetui.core.types import decimal_from_float
from tradetui.data.candle_file import load_candle_file, read_candle_file
from tradetui.data.quality import Severity, check_candles
from tradetui.data.quality_view import render_report
from tradetui.errors import ConfigError, DataError
from tradetui.storage.records import CandleInput
from tradetui.storage.repository import SqliteRepository


def _timeframe(text: str | None) -> Timeframe | None:
    if text is None:
        return None
    try:
        return Timeframe.parse(text)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _market(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return Market(text.strip()).code
    except ValueError:
        raise ConfigError(f"--market {text!r} is not a market code; write it like KRW-BTC") from None


def _rows(series: BarSeries) -> Iterator[CandleInput]:
    columns = (
        series.open.tolist(),
        series.high.tolist(),
        series.low.tolist(),
        series.close.tolist(),
        series.volume.tolist(),
    )
    for ts, o, h, lo, c, v in zip(series.ts_s.tolist(), *columns, strict=True):
        yield (
            ts,
            decimal_from_float(o),
            decimal_from_float(h),
            decimal_from_float(lo),
            decimal_from_float(c),
            decimal_from_float(v),
        )


def _database(args: argparse.Namespace) -> Path:
    return data_dir(args.data_dir) / "tradetui.db"


def fetch(args: argparse.Namespace) -> int:
    """`data fetch`: download candles into the store, resuming where an earlier fetch stopped."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from tradetui.core.clock import parse_utc
    from tradetui.core.market import Exchange, Market
    from tradetui.data.fetch import fetch_candles
    from tradetui.exchanges.profiles import profile_for
    from tradetui.exchanges.rest import ExchangeClient

    tf = _timeframe(args.timeframe)
    assert tf is not None
    try:
        market = Market(args.market).code
        start_ms = parse_utc(args.start)
        end_ms = parse_utc(args.end) if args.end else int(time.time() * 1000)
    except ValueError as exc:
        raise ConfigError(f"data fetch: {exc}") from None
    if end_ms <= start_ms:
        raise ConfigError("data fetch: --to must be after --from")
    database = _database(args)
    expected = max(1, (end_ms - start_ms) // (tf.seconds * 1000))

    async def run() -> tuple[int, int]:
        repo = await SqliteRepository.open(database)
        client = ExchangeClient(profile_for(Exchange(args.exchange)), base_url=args.base_url)
        try:
            with Progress(
                TextColumn(f"{market} {tf}"),
                BarColumn(),
                TextColumn("{task.completed:,} candles"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
                disable=not sys.stderr.isatty(),
            ) as bar:
                task = bar.add_task("fetch", total=expected)
                result = await fetch_candles(
                    client,
                    repo,
                    market=market,
                    timeframe=tf,
                    start_ms=start_ms,
                    end_ms=end_ms,
                    progress=lambda n: bar.advance(task, n),
                )
            total = await repo.candle_range(args.exchange, market, tf)
            return result.stored, total.count if total is not None else 0
        finally:
            await client.aclose()
            await repo.close()

    stored, total = asyncio.run(run())
    print(
        f"fetched {stored:,} {tf} candles of {market} from {args.exchange}; {total:,} stored in {database}. "
        f"Check them with `tradetui data check --market {market} --timeframe {tf}`"
    )
    return 0


def import_file(args: argparse.Namespace) -> int:
    """`data import FILE`: store a file's candles (a non-KRW file only as the KRW market named)."""
    market = _market(args.market)
    candles = load_candle_file(args.file, market=market, timeframe=_timeframe(args.timeframe), repair=args.repair)
    series = candles.series
    foreign = candles.foreign_market
    if foreign is not None and market is None:
        raise DataError(
            f"{foreign}; pass --market KRW-{Market(series.market).base} to store its prices as that KRW market "
            "anyway, or import an Upbit/Bithumb KRW file"
        )
    named = candles.named.exchange if candles.named is not None else None
    exchange = args.exchange or (named if named in ("upbit", "bithumb") else "upbit")
    if candles.repaired:
        print(f"warning: {candles.path.name}: --repair {candles.repaired}", file=sys.stderr)
    database = _database(args)

    async def store() -> tuple[int, int]:
        repo = await SqliteRepository.open(database)
        try:
            count = await repo.save_candles(exchange, series.market, series.timeframe, _rows(series))
            total = await repo.candle_range(exchange, series.market, series.timeframe)
            return count, total.count if total is not None else count
        finally:
            await repo.close()

    count, total = asyncio.run(store())
    report = check_candles(series)
    source = f" (file from {named}, stored as {exchange})" if named and named != exchange else ""
    print(
        f"imported {count:,} {series.timeframe} candles of {series.market} ({exchange}){source} into {database}; "
        f"{total:,} stored in all. Check: {report.verdict.value}"
        + ("" if report.verdict is Severity.OK else " — run `tradetui data check` for details")
    )
    return 0


def check(args: argparse.Namespace) -> int:
    """`data check`: the quality report of a file or a stored series; 1 when it has errors."""
    if args.file:
        series = read_candle_file(args.file, market=_market(args.market), timeframe=_timeframe(args.timeframe))
    else:
        if not args.market or not args.timeframe:
            raise ConfigError(
                "give a FILE, or --market and --timeframe of a stored series (see `tradetui data import`)"
            )
        series = asyncio.run(_load_stored(args))
    report = check_candles(series)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        Console().print(render_report(report))
    return 1 if report.verdict is Severity.ERROR else 0


async def _load_stored(args: argparse.Namespace) -> BarSeries:
    tf = _timeframe(args.timeframe)
    assert tf is not None
    repo = await SqliteRepository.open(_database(args))
    try:
        rows = await repo.load_candles(args.exchange, args.market, tf)
    finally:
        await repo.close()
    if not rows:
        raise DataError(
            f"no stored {tf} candles of {args.market} on {args.exchange}; import some with `tradetui data import FILE`"
        )
    cols = list(zip(*rows, strict=True))
    return BarSeries(
        args.market,
        tf,
        np.array(cols[0], dtype=np.int64),
        *(np.array([float(x) for x in col], dtype=np.float64) for col in cols[1:]),
    )
