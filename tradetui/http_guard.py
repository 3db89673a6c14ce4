"""What our two HTTP servers (the control API and the sandbox) do before a handler sees a request.

Both are aiohttp apps on loopback; a client may still be broken or hostile. :class:`RequestGuard`
gives each of them the same protection, so a route added later gets it for free:

* **Deadlines.** A client has ``timeout_s`` (default :data:`DEFAULT_REQUEST_TIMEOUT_S`) from the
  first byte of a request (or from connecting) to deliver its head, and ``timeout_s`` more for
  its body. A slow-loris client (half the headers, or a ``Content-Length`` body that never
  arrives) is cut then: 408 if it sent something, closed either way. An idle keep-alive
  connection is closed after ``keepalive_s``.
* **Body.** The guard reads the whole body (within the deadline) before the handler runs; too
  large is 413, an unknown ``Content-Encoding`` 415, a broken one or a truncated body 400 (and
  the connection is closed). Handlers then read the cached bytes (``await request.read()``).
* **Logs.** aiohttp's own refusals of malformed HTTP (bad request line, bad header) are logged at
  INFO in one line, not at ERROR with a traceback: they are the client's fault.

:func:`json_document` decodes a JSON body strictly: UTF-8 only, no NaN/Infinity, no duplicate
keys, no lone surrogates, bounded nesting and number length. Every refusal is a
:class:`~tradetui.errors.RequestError` whose message names the problem and the fix.

Serve with :class:`GuardedSite` instead of ``web.TCPSite``/``web.UnixSite``, on an
``web.AppRunner(app, **guard.runner_options())`` whose app has ``guard.middleware`` first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from tradetui.errors import RequestError

log = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT_S = 10.0
DEFAULT_KEEPALIVE_S = 30.0
MAX_JSON_DEPTH = 32
"""Objects and arrays nested deeper than this are refused (the decoder would recurse)."""
MAX_NUMBER_CHARS = 100
"""A JSON number literal longer than this is refused (Python refuses ints over 4,300 digits)."""
_UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_DECODED_ENCODINGS = frozenset({"", "identity", "gzip", "deflate", "br", "zstd"})
"""Content-Encodings aiohttp decodes (or refuses when its library is missing); any other it would
pass through undecoded, so the guard refuses it (415)."""
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")

ErrorBody = Callable[[int, str], bytes]
"""The server's own JSON error document for an HTTP status and a one-line message."""
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# --- JSON bodies ------------------------------------------------------------------------------


def _depth_problem(text: str) -> str | None:
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return None
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        return f"the body nests objects/arrays {deepest} deep; at most {MAX_JSON_DEPTH} levels are accepted"
    return None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise RequestError(f"key {key[:40]!r} appears twice in one object; send it once")
        document[key] = value
    return document


def _constant(name: str) -> Any:
    raise RequestError(f"{name} is not a JSON number; send a finite number")


def _literal(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise RequestError(f"a number in the body has {len(text)} characters; at most {MAX_NUMBER_CHARS} are accepted")
    return text


def _int(text: str) -> int:
    return int(_literal(text))


def _float(text: str) -> float:
    value = float(_literal(text))
    if value in (float("inf"), float("-inf")):
        raise RequestError(f"number {text[:24]} is out of range (beyond a 64-bit float)")
    return value


def json_document(raw: bytes, *, charset: str | None = None, keep_number_text: bool = False) -> Any:
    """The JSON document in ``raw``, or :class:`RequestError` (400) naming what is wrong.

    ``charset`` is the request's ``Content-Type`` charset (None: not given, UTF-8 assumed).
    ``keep_number_text``: numbers come back as their literal text (``"1e400"``), unchecked
    beyond their length, for callers that parse them as Decimals.
    """
    if charset is not None and charset.strip().lower() not in _UTF8_NAMES:
        raise RequestError(
            f"charset {charset[:40]!r} is not supported: send UTF-8 (Content-Type: application/json; charset=utf-8)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestError(f"the body is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None
    problem = _depth_problem(text)
    if problem is not None:
        raise RequestError(problem)
    try:
        document = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_constant,
            parse_int=_literal if keep_number_text else _int,
            parse_float=_literal if keep_number_text else _float,
        )
    except json.JSONDecodeError as exc:
        raise RequestError(f"the body is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:  # belt and braces: _depth_problem refuses these first
        raise RequestError(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
    if "\\u" in text:
        try:
            json.dumps(document, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise RequestError(
                "the body has a lone surrogate escape (e.g. \\ud800 without its pair): not valid Unicode"
            ) from None
    return document


# --- deadlines --------------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """aiohttp's protocol of one connection, wrapped with the deadline of the request it receives.

    States: *receiving* (a deadline runs: since connecting, or since the first byte after the
    last answer), *handling* (the head is in and a handler runs; the guard's middleware bounds
    the body) and *idle* (between requests; aiohttp's keep-alive timeout applies).

    The end of the head (an empty line) is also spotted in the bytes themselves, so a complete
    head is never cut when a busy event loop runs the deadline before the handler.
    """

    def __init__(self, inner: asyncio.Protocol, guard: RequestGuard) -> None:
        self._inner = inner
        self._guard = guard
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._started = 0.0
        self._handling = False
        self._got_bytes = False
        self._head_seen = False
        self._tail = b""
        self._bytes_while_handling = False

    # asyncio.Protocol, forwarded to aiohttp's protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._guard.connections[transport] = self
        self._arm()
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._handling:
            self._bytes_while_handling = True
        else:
            if self._timer is None:
                self._arm()
            if not self._head_seen:
                window = self._tail + data
                self._head_seen = b"\r\n\r\n" in window or b"\n\n" in window
                self._tail = window[-3:]
        self._got_bytes = True
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._transport is not None:
            self._guard.connections.pop(self._transport, None)
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    # the deadline
    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._started = loop.time()
        self._got_bytes = False
        self._head_seen = False
        self._tail = b""
        self._timer = loop.call_at(self._started + self._guard.timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def head_received(self) -> None:
        """The head is in and a handler runs: stop the head deadline."""
        self._disarm()
        self._handling = True
        self._bytes_while_handling = False

    def request_done(self) -> None:
        self._handling = False
        if self._bytes_while_handling:  # the next (pipelined) request has started
            self._arm()
            self._got_bytes = True

    def _expire(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None or transport.is_closing() or self._head_seen:
            return  # gone, or the head is complete and on its way to the guard's middleware
        peer = transport.get_extra_info("peername")
        log.info(
            "closed a connection from %s: no complete request within %.3g s of its %s",
            peer,
            self._guard.timeout_s,
            "first byte" if self._got_bytes else "opening",
        )
        if self._got_bytes:
            message = f"the request was not complete within {self._guard.timeout_s:g} s; send it whole and promptly"
            body = self._guard.error_body(408, message)
            head = (
                "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            transport.write(head.encode("ascii") + body)
        transport.close()


class _ClientFaultFilter(logging.Filter):
    """aiohttp logs a malformed request at ERROR with a traceback; it is the client's fault: one INFO line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            record.msg = "refused a malformed request (%s %s)"
            record.args = (exc.code, exc.message.splitlines()[0] if exc.message else type(exc).__name__)
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


_PROTOCOL_LOG = logging.getLogger(f"{__name__}.protocol")
_PROTOCOL_LOG.addFilter(_ClientFaultFilter())


class RequestGuard:
    """Deadline, body reading and error answers shared by one server's routes.

    ``error_body(status, message)`` renders the server's own error document (the control API's
    ``{"error": "..."}``, the sandbox's exchange envelope).
    """

    def __init__(
        self,
        error_body: ErrorBody,
        *,
        timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
        keepalive_s: float = DEFAULT_KEEPALIVE_S,
    ) -> None:
        if not timeout_s > 0 or not keepalive_s > 0:
            raise ValueError("the request timeout and the keep-alive time must be > 0 seconds")
        self.error_body = error_body
        self.timeout_s = timeout_s
        self.keepalive_s = keepalive_s
        self.connections: dict[asyncio.BaseTransport, _Connection] = {}

    def runner_options(self) -> dict[str, Any]:
        """Keyword arguments for ``web.AppRunner``: keep-alive time and the protocol logger."""
        return {"keepalive_timeout": self.keepalive_s, "logger": _PROTOCOL_LOG}

    def wrap(self, inner: asyncio.Protocol) -> asyncio.Protocol:
        return _Connection(inner, self)

    def _error(self, status: int, message: str) -> web.Response:
        return web.Response(
            body=self.error_body(status, message), status=status, content_type="application/json", charset="utf-8"
        )

    async def _answer_and_close(self, request: web.Request, status: int, message: str) -> web.StreamResponse:
        """Answer now and close the connection: the rest of this request cannot be trusted or waited for."""
        response = self._error(status, message)
        await response.prepare(request)
        await response.write_eof()
        if request.transport is not None:
            request.transport.close()
        log.info("refused a request from %s with %d and closed the connection: %s", request.remote, status, message)
        return response

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """First middleware of the app: reads the body within ``timeout_s``, then runs the rest."""
        connection = self.connections.get(request.transport) if request.transport is not None else None
        if connection is not None:
            connection.head_received()
        try:
            encoding = request.headers.get("Content-Encoding", "").strip().lower()
            if request.body_exists and encoding not in _DECODED_ENCODINGS:
                message = f"Content-Encoding {encoding[:30]!r} is not supported: send the body plain or gzip"
                return await self._answer_and_close(request, 415, message)
            try:
                async with asyncio.timeout(self.timeout_s):
                    await request.read()
            except TimeoutError:
                message = f"the request body did not arrive within {self.timeout_s:g} s; send it whole and promptly"
                return await self._answer_and_close(request, 408, message)
            except web.HTTPRequestEntityTooLarge:
                return await self._answer_and_close(
                    request, 413, f"the body is larger than {request.client_max_size // 1024} KiB"
                )
            except (web.RequestPayloadError, HttpProcessingError) as exc:
                cause = exc.__cause__ or exc
                detail = " ".join(str(cause).split())[:80] or type(cause).__name__
                return await self._answer_and_close(request, 400, f"the body cannot be read ({detail})")
            return await handler(request)
        finally:
            if connection is not None:
                connection.request_done()


class GuardedSite(web.BaseSite):
    """A TCP (``host``/``port``) or Unix socket (``path``) site whose connections ``guard`` watches.

    ``port`` is the bound port once started (for ``port=0``, the one the OS chose).
    """

    def __init__(
        self,
        runner: web.BaseRunner,
        guard: RequestGuard,
        *,
        host: str | None = None,
        port: int = 0,
        path: Path | None = None,
    ) -> None:
        super().__init__(runner)
        if (host is None) == (path is None):
            raise ValueError("a guarded site listens on a host and port, or on a Unix socket path")
        self._app_runner = runner
        self._guard = guard
        self._host = host
        self.port = port
        self._path = path
        self._listener: asyncio.AbstractServer | None = None

    @property
    def name(self) -> str:
        if self._path is not None:
            return f"http://unix:{self._path}:"
        host = f"[{self._host}]" if self._host is not None and ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        server = self._app_runner.server
        if server is None:
            raise RuntimeError("call runner.setup() before starting a site")

        def connection() -> asyncio.Protocol:
            return self._guard.wrap(server())

        loop = asyncio.get_running_loop()
        if self._path is not None:
            self._listener = await loop.create_unix_server(connection, str(self._path))
        else:
            self._listener = await loop.create_server(connection, self._host, self.port)
            sockets = self._listener.sockets
            if sockets:
                self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        await super().stop()
