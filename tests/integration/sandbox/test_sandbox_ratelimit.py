"""Rate limits of the sandbox over real sockets (reference A6, B5, D.15), and loopback-only binding."""

from __future__ import annotations

import pytest
from sibling import load_sibling  # tests/support/sibling.py

peer = load_sibling(__file__, "peer")


async def test_upbit_remaining_req_429_then_418_block() -> None:
    async with peer.running("upbit", block_after_429s=5, block_ms=30_000) as upbit:
        seen = []
        for _ in range(10):
            reply = await upbit.public("/v1/market/all")
            assert reply.status_code == 200
            seen.append(reply.headers["Remaining-Req"])
        assert seen[0] == "group=market; min=600; sec=9"
        assert seen[-1] == "group=market; min=600; sec=0"
        for _ in range(5):
            limited = await upbit.public("/v1/market/all")
            assert limited.status_code == 429
            assert limited.headers["Remaining-Req"].endswith("sec=0")
        blocked = await upbit.public("/v1/ticker", [("markets", "KRW-BTC")])
        assert blocked.status_code == 418
        assert blocked.headers["Retry-After"] == "30"
        assert "30 s" in blocked.json()["error"]["message"]
        upbit.clock.advance_ms(30_000)
        assert (await upbit.public("/v1/market/all")).status_code == 200


async def test_upbit_groups_are_separate_and_windows_roll() -> None:
    async with peer.running("upbit") as upbit:
        for _ in range(10):
            assert (await upbit.public("/v1/market/all")).status_code == 200
        ticker = await upbit.public("/v1/ticker", [("markets", "KRW-BTC")])
        assert ticker.headers["Remaining-Req"] == "group=ticker; min=600; sec=9"
        assert (await upbit.public("/v1/market/all")).status_code == 429
        upbit.clock.advance_ms(1_000)
        assert (await upbit.public("/v1/market/all")).status_code == 200
        private = await upbit.get("/v1/accounts")
        assert private.headers["Remaining-Req"] == "group=default; min=1800; sec=29"
        order = await upbit.order(market="KRW-BTC", side="bid", price="10000", ord_type="price")
        assert order.headers["Remaining-Req"] == "group=order; min=720; sec=11"


async def test_bithumb_token_bucket_headers_and_429() -> None:
    async with peer.running("bithumb", rate_limits={"public-ticker": 3}) as bithumb:
        replies = [await bithumb.public("/v1/ticker", [("markets", "KRW-BTC")]) for _ in range(4)]
        assert [r.status_code for r in replies] == [200, 200, 200, 429]
        first = replies[0].headers
        assert first["x-ratelimit-remaining"] == "2"
        assert first["x-ratelimit-replenish-rate"] == "3"
        assert first["x-ratelimit-burst-capacity"] == "3"
        assert first["x-ratelimit-requested-tokens"] == "1"
        assert "Remaining-Req" not in first
        assert replies[3].headers["x-ratelimit-remaining"] == "0"
        bithumb.clock.advance_ms(1_000)
        assert (await bithumb.public("/v1/ticker", [("markets", "KRW-BTC")])).status_code == 200
        private = await bithumb.get("/v1/accounts")
        assert private.headers["x-ratelimit-replenish-rate"] == "140"


async def test_rate_limits_can_be_switched_off() -> None:
    async with peer.running("upbit", rate_limits_enabled=False) as upbit:
        for _ in range(15):
            reply = await upbit.public("/v1/market/all")
            assert reply.status_code == 200 and "Remaining-Req" in reply.headers


async def test_server_refuses_non_loopback_hosts() -> None:
    state = peer.SandboxState(peer.SandboxConfig(history_minutes=10), clock=peer.SimClock(peer.START_MS))
    for host in ("0.0.0.0", "192.168.1.10", "example.com"):
        with pytest.raises(ValueError, match="loopback"):
            await peer.serve(state, host=host)


async def test_unknown_path_uses_the_error_envelope() -> None:
    async with peer.running("upbit") as upbit:
        reply = await upbit.public("/v1/nothing-here")
        assert reply.status_code == 404
        assert reply.json()["error"]["name"] == 404
