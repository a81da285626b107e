"""Row `fastapi`: the FastAPI peer, with the stack FastAPI's security guides teach.

- a security-headers middleware (``@app.middleware("http")``) setting the same headers as Rampart,
- ``CORSMiddleware`` allowing one exact origin,
- a JWT bearer dependency (``HTTPBearer`` + PyJWT) with the algorithm pinned to EdDSA and the
  issuer and audience checked, then a role check,
- a pydantic response model.

Debian's packages, run with /usr/bin/python3 under uvicorn, one process, no access log (the
Node peers do not log either). uvicorn picks uvloop and httptools when python3-uvloop and
python3-httptools are installed (what ``uvicorn[standard]`` brings), else asyncio and h11;
the harness records which.

Protocol with the harness (bench/run.ts): the app binds 127.0.0.1 on a free port and writes
``@@bench {"port": N, ...}`` to stderr; on SIGUSR2 it writes ``@@bench {"probe": {...}}`` with
the asyncio loop lag (how late a 10 ms sleep wakes up, the same measure as Node's
monitorEventLoopDelay beyond its resolution) and RSS and CPU time, then resets the samples.
"""

import asyncio
import json
import os
import signal
import socket
import sys
import time
from typing import Any, Dict, List

import jwt
import uvicorn
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, FastAPI, HTTPException, Path, Request, status
from fastapi.middleware.cors import CORSMiddleware
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

ALLOWED_ORIGIN = "https://app.example.com"
TOKEN_ISSUER = "https://auth.bench.example"
TOKEN_AUDIENCE = "orders-api"
REQUIRED_ROLE = "customer"

with open(os.environ["BENCH_PUBLIC_KEY_FILE"], "rb") as key_file:
    PUBLIC_KEY = load_pem_public_key(key_file.read())

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), sync-xhr=(), usb=(), "
    "xr-spatial-tracking=()",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}


class Order(BaseModel):
    id: str
    customerId: str
    status: str
    currency: str
    totalCents: int
    items: int
    createdAt: str


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.middleware("http")
async def security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


app.add_middleware(CORSMiddleware, allow_origins=[ALLOWED_ORIGIN], allow_methods=["GET"], allow_headers=["Authorization"])

bearer = HTTPBearer()


async def current_user(credentials: HTTPAuthorizationCredentials = Depends(bearer)) -> Dict[str, Any]:
    try:
        return jwt.decode(
            credentials.credentials,
            PUBLIC_KEY,
            algorithms=["EdDSA"],
            audience=TOKEN_AUDIENCE,
            issuer=TOKEN_ISSUER,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="invalid token", headers={"WWW-Authenticate": "Bearer"})


def require_role(role: str):
    async def checker(user: Dict[str, Any] = Depends(current_user)) -> Dict[str, Any]:
        roles = user.get("roles")
        if not isinstance(roles, list) or role not in roles:
            raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="forbidden")
        return user

    return checker


@app.get("/v1/orders/{order_id}", response_model=Order)
async def get_order(
    order_id: str = Path(regex=r"^ord_[0-9]{1,12}$"),
    _user: Dict[str, Any] = Depends(require_role(REQUIRED_ROLE)),
) -> Order:
    return Order(id=order_id, customerId="cus_4242", status="paid", currency="EUR", totalCents=12999, items=3, createdAt="2025-01-15T10:30:00Z")


# --- probe: asyncio loop lag and RSS, reported on SIGUSR2 -------------------------------------

INTERVAL_S = 0.010
lag_samples: List[float] = []


def emit(message: Dict[str, Any]) -> None:
    sys.stderr.write("@@bench " + json.dumps(message) + "\n")
    sys.stderr.flush()


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def percentile(sorted_values: List[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


def report() -> None:
    values = sorted(lag_samples)
    lag_samples.clear()
    times = os.times()
    emit({
        "probe": {
            "eldP50Ms": percentile(values, 50) * 1000,
            "eldP99Ms": percentile(values, 99) * 1000,
            "eldMaxMs": (values[-1] if values else 0.0) * 1000,
            "rssBytes": rss_bytes(),
            "heapUsedBytes": None,
            "cpuUs": round((times.user + times.system) * 1e6),
        }
    })


async def sample_lag() -> None:
    while True:
        start = time.perf_counter()
        await asyncio.sleep(INTERVAL_S)
        lag_samples.append(max(0.0, time.perf_counter() - start - INTERVAL_S))


background: List["asyncio.Task[None]"] = []


bound: Dict[str, Any] = {}


@app.on_event("startup")
async def start_probe() -> None:
    loop = asyncio.get_running_loop()
    background.append(loop.create_task(sample_lag()))
    loop.add_signal_handler(signal.SIGUSR2, report)
    # Only now, with the SIGUSR2 handler in place, may the harness signal this process.
    emit(bound)


def main() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, access_log=False, log_level="warning", server_header=False, loop="auto", http="auto", lifespan="on")
    server = uvicorn.Server(config)
    try:
        import httptools  # noqa: F401
        http = "httptools"
    except ImportError:
        http = "h11"
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    import fastapi
    import pydantic
    bound.update({"port": sock.getsockname()[1], "versions": {"python": sys.version.split()[0], "fastapi": fastapi.__version__, "uvicorn": uvicorn.__version__, "pydantic": pydantic.VERSION, "pyjwt": jwt.__version__, "loop": loop, "http": http}})
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
