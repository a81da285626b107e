"""Peer of the reference service (bench/service/run.ts): FastAPI doing the same work per request.

- a security-headers middleware and ``CORSMiddleware`` (one origin), as FastAPI's guides teach;
- an ``HTTPBearer`` + PyJWT dependency: EdDSA pinned, issuer and audience checked, key from the
  service's own JWKS, with a cache of up to 10,000 verified tokens until they expire (what the
  service's verified-token cache does), then a scope check;
- the same query on a copy of the service's SQLite file (Python's sqlite3, one connection; the
  module keeps prepared statements) and the same response, through a pydantic response model;
- one access-log line per request to a file (uvicorn's access logger with a FileHandler).

No rate limiter: FastAPI has none built in and Debian packages none (slowapi is not packaged),
which flatters this peer. Debian's packages under /usr/bin/python3; uvicorn with uvloop and
httptools when python3-uvloop and python3-httptools are installed (the harness records which).
Routes: GET /healthz, GET /v1/orders. Environment: PORT, BENCH_DB, BENCH_JWKS, BENCH_LOG,
BENCH_ISSUER, BENCH_AUDIENCE.
"""

import json
import os
import sqlite3
import time
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import jwt
import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

ISSUER = os.environ["BENCH_ISSUER"]
AUDIENCE = os.environ["BENCH_AUDIENCE"]
with open(os.environ["BENCH_JWKS"]) as jwks_file:
    PUBLIC_KEY = jwt.PyJWK(json.load(jwks_file)["keys"][0], algorithm="EdDSA").key
CACHE_SIZE = 10_000
verified: Dict[str, Dict[str, Any]] = {}

database = sqlite3.connect(os.environ["BENCH_DB"], check_same_thread=False)
database.execute("pragma busy_timeout = 1000")

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cache-control": "no-store",
}


class Order(BaseModel):
    id: str
    productId: str
    quantity: int
    unitPrice: int
    total: int
    currency: str
    status: str
    createdAt: str
    cancelledAt: Optional[str]


class OrderPage(BaseModel):
    items: List[Order]
    next: Optional[str]


class Health(BaseModel):
    status: str


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.middleware("http")
async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_methods=["GET"], allow_headers=["Authorization"])

bearer = HTTPBearer()


async def current_user(credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> Dict[str, Any]:
    token = credentials.credentials
    cached = verified.get(token)
    if cached is not None and cached["exp"] > time.time():
        return cached
    try:
        claims = jwt.decode(token, PUBLIC_KEY, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.PyJWTError:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="invalid token", headers={"WWW-Authenticate": "Bearer"})
    if len(verified) >= CACHE_SIZE:
        del verified[next(iter(verified))]
    verified[token] = claims
    return claims


def require_scope(scope: str):
    async def checker(user: Dict[str, Any] = Depends(current_user)) -> Dict[str, Any]:
        if scope not in str(user.get("scope", "")).split(" "):
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="forbidden")
        return user

    return checker


def iso(ms: Optional[int]) -> Optional[str]:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


@app.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@app.get("/v1/orders", response_model=OrderPage)
async def list_orders(limit: int = Query(20, ge=1, le=100), user: Dict[str, Any] = Depends(require_scope("orders:read"))) -> OrderPage:
    rows = database.execute(
        "select id, product_id, quantity, unit_price, total, currency, status, created_at, cancelled_at from orders "
        "where owner_id = ? order by created_at desc, id desc limit ?",
        (user["sub"], limit + 1),
    ).fetchall()
    items = [Order(id=r[0], productId=r[1], quantity=r[2], unitPrice=r[3], total=r[4], currency=r[5], status=r[6], createdAt=iso(r[7]), cancelledAt=iso(r[8])) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        import base64
        last = items[-1]
        next_cursor = base64.urlsafe_b64encode(json.dumps([rows[limit - 1][7], last.id], separators=(",", ":")).encode()).decode().rstrip("=")
    return OrderPage(items=items, next=next_cursor)


def main() -> None:
    try:
        import uvloop  # noqa: F401
        import httptools  # noqa: F401
        loop, http = "uvloop", "httptools"
    except ImportError:
        loop, http = "asyncio", "h11"
    log_config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"format": "%(asctime)s %(message)s"}},
        "handlers": {"file": {"class": "logging.FileHandler", "filename": os.environ["BENCH_LOG"], "formatter": "line"}},
        "loggers": {"uvicorn.access": {"handlers": ["file"], "level": "INFO", "propagate": False}, "uvicorn.error": {"level": "WARNING"}},
    }
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), loop=loop, http=http, access_log=True, log_config=log_config, server_header=False)


if __name__ == "__main__":
    main()
