"""Keeping web pages out: Host, Origin and request content-type checks on every request.

A page on another site can make the browser of someone running tracegraph send requests to
it. Three checks, in :class:`BrowserGuardMiddleware`, before anything else runs:

* **Host** (DNS rebinding: a foreign name that resolves to 127.0.0.1). Only loopback names
  and addresses (``localhost``, ``127.0.0.1``, ``[::1]``...), the host the server listens
  on and the ``--allowed-host`` names are served; anything else is 400. A server listening
  beyond loopback (which always requires API keys) takes any Host unless hosts are given.
* **Origin**, on HTTP and WebSocket: a request that carries an ``Origin`` header is served
  only when the origin is the server's own (the same host and port as ``Host``) or one of
  the ``--allowed-origin`` origins (those also get CORS answers, by starlette's
  ``CORSMiddleware``); anything else, ``null`` included, is 403. Clients that are not
  browsers send no ``Origin`` and pass.
* **Content type** of every write (any method but GET, HEAD and OPTIONS): ``/graphql``
  takes ``application/json``, ``/v1/ingest`` ``application/x-ndjson``, and no path takes a
  type a page can send without a CORS preflight (``text/plain``, forms, multipart);
  anything else is 415 naming the type to send.

starlette's ``TrustedHostMiddleware`` is not used for the Host check: it cuts the header
at the first ``:`` (so ``[::1]:8000`` never matches) and answers in plain text; these
answers are JSON like every other error of the HTTP layer.

>>> policy = BrowserPolicy.for_bind("127.0.0.1", allowed_origins=["https://ui.example"])
>>> policy.host_allowed("localhost:8000"), policy.host_allowed("[::1]:8000")
(True, True)
>>> policy.host_allowed("evil.example:8000")
False
>>> policy.origin_allowed("http://localhost:8000", "localhost:8000")
True
>>> policy.origin_allowed("https://evil.example", "localhost:8000")
False
>>> policy.origin_allowed("https://ui.example", "localhost:8000")
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from tracegraph.schema.errors import Forbidden, TraceGraphError

from .auth import is_loopback
from .auth_http import deny_handshake, deny_request

ANY = "*"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Content types a page on any site can send without a CORS preflight.
SIMPLE_CONTENT_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded",
                                  "multipart/form-data"})


class BadHost(TraceGraphError):
    """The ``Host`` header names a host this server does not answer to."""

    code = "BAD_HOST"
    http_status = 400


class ForeignOrigin(Forbidden):
    """The request comes from a web page of another origin."""

    code = "FORBIDDEN_ORIGIN"


class UnsupportedMediaType(TraceGraphError):
    """A write whose body is not of the content type its path takes."""

    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


def _host_name(host_header: str) -> str | None:
    """The host name of a ``Host`` header (lower case, IPv6 without brackets), or ``None``
    when it is not one."""
    try:
        parts = urlsplit(f"//{host_header}")
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        return None
    return parts.hostname


@dataclass(frozen=True)
class BrowserPolicy:
    """The hosts and origins a server answers to (see the module doc)."""

    #: Host names served besides loopback ones; ``*`` any, ``*.example.com`` a domain.
    allowed_hosts: frozenset[str] = frozenset()
    #: Origins (``scheme://host[:port]``) served besides the server's own; ``*`` any.
    allowed_origins: frozenset[str] = frozenset()

    @classmethod
    def for_bind(cls, bind_host: str, *, allowed_hosts: Iterable[str] = (),
                 allowed_origins: Iterable[str] = ()) -> BrowserPolicy:
        """The policy of a server listening on ``bind_host``: loopback names and the bind
        host, plus ``allowed_hosts``; any host beyond loopback when none are given."""
        hosts = {h.strip().lower() for h in allowed_hosts if h.strip()}
        bind = bind_host.strip("[]").lower()
        if not is_loopback(bind) and not hosts:
            hosts.add(ANY)
        if bind not in ("", "0.0.0.0", "::"):
            hosts.add(bind)
        origins = {o.strip().rstrip("/").lower() for o in allowed_origins if o.strip()}
        return cls(frozenset(hosts), frozenset(origins))

    def host_allowed(self, host_header: str | None) -> bool:
        if host_header is None or ANY in self.allowed_hosts:
            return True  # (no Host: HTTP/1.0, not a browser)
        name = _host_name(host_header)
        if name is None:
            return False
        if is_loopback(name) or name in self.allowed_hosts:
            return True
        return any(p.startswith("*.") and name.endswith(p[1:]) for p in self.allowed_hosts)

    def origin_allowed(self, origin: str, host_header: str | None) -> bool:
        normal = origin.strip().rstrip("/").lower()
        if ANY in self.allowed_origins or normal in self.allowed_origins:
            return True
        if normal == "null" or host_header is None:
            return False
        parts = urlsplit(normal)
        return parts.scheme in ("http", "https") and parts.netloc == host_header.lower()


class BrowserGuardMiddleware:
    """Refuses foreign hosts (400), foreign origins (403) and writes of the wrong content
    type (415) on HTTP and WebSocket (see the module doc)."""

    def __init__(self, app: ASGIApp, *, policy: BrowserPolicy,
                 body_types: Mapping[str, str]) -> None:
        self.app = app
        self.policy = policy
        self.body_types = dict(body_types)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self.problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
        elif kind == "websocket":
            await deny_handshake(scope, receive, send, problem)
        else:
            await deny_request(scope["path"], problem)(scope, receive, send)

    def problem(self, scope: Scope) -> TraceGraphError | None:
        """Why the request is refused, or ``None``."""
        headers = Headers(scope=scope)
        host = headers.get("host")
        if not self.policy.host_allowed(host):
            return BadHost(f"Host: {host!r} is not a host this server answers to (loopback "
                           "names, the host it listens on, and server option --allowed-host)")
        origin = headers.get("origin")
        if origin is not None and not self.policy.origin_allowed(origin, host):
            return ForeignOrigin(f"Origin: requests from web pages of {origin[:100]!r} are "
                                 "refused; only this server's own origin and server option "
                                 "--allowed-origin are served")
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            return self.content_type_problem(scope["path"], headers.get("content-type"))
        return None

    def content_type_problem(self, path: str, header: str | None) -> TraceGraphError | None:
        given = (header or "").split(";", 1)[0].strip().lower()
        wanted = self.body_types.get(path)
        if wanted is not None and given != wanted:
            return UnsupportedMediaType(f"Content-Type: {path} takes {wanted}, got "
                                        f"{given or 'none'}")
        if given in SIMPLE_CONTENT_TYPES:
            return UnsupportedMediaType(f"Content-Type: {given} is not accepted on {path}")
        return None
