"""`make bench-identity`: our OpenID provider against panva's oidc-provider, both driven by openid-client.

Driver (``benchmarks/oidc/driver.mjs``): panva's ``openid-client`` with N virtual clients, each a
signed-in person with a live session and an earlier grant (single sign-on, so ``/authorize``
answers 303 with a code at once). A full flow is PAR (private_key_jwt ES256 + DPoP) → authorize →
token (private_key_jwt + DPoP; the ID token checked) → userinfo with the DPoP-bound token. Code
exchanges are timed alone: codes are collected first, then only the token requests are timed.

Anchor (``benchmarks/oidc/anchor.mjs``): ``oidc-provider`` with the FAPI 2.0 profile, PAR required,
PKCE S256, private_key_jwt ES256, DPoP and 60 s codes, on its in-memory adapter; sign-in is a
headless interaction that finishes at once, once per virtual client.

Ours: the real app in one uvicorn worker on the platform database (SQLite, and PostgreSQL when
reachable). The headless test login is done by this script: it writes each virtual person's
account, browser session and grant through the identity module before the server starts.

Both servers are pinned to the same CPU (``taskset``) and the driver to the other, so the figures
are per core. Results go to ``benchmarks/results/identity.json``.

    .venv/bin/python -m benchmarks.identity [--seconds 8] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from joserfc.jwk import ECKey

from benchmarks.holder import Backend, free_port

HERE = Path(__file__).parent
NODE = HERE / "oidc"
RESULTS = HERE / "results" / "identity.json"
REDIRECT = "http://127.0.0.1:9/callback"  # a native app's loopback redirect; the driver never fetches it
CONCURRENCY = (1, 10, 50)
EXCHANGE_CLIENTS = 50
SERVER_CPU, DRIVER_CPU = "1", "0"


def pinned(cpu: str, command: list[str]) -> list[str]:
    """``command`` pinned to one CPU when ``taskset`` is there and the machine has two or more."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu, *command]
    return command


# --------------------------------------------------------------------------- our provider


async def sign_in_people(
    settings: Any, client_id: str | None, people: int | list[Any]
) -> list[dict[str, str]]:
    """The headless test login: accounts for ``people`` (a count of made-up people, or synthetic
    people whose CI and name the banks know), each with a live session and, with ``client_id``, a
    grant for that client. Returns one cookie jar per person."""
    from samgak.identity import accounts
    from samgak.identity.accounts import COOKIE
    from samgak.identity.models import IdentityAccount, IdentityGrant
    from samgak.identity.provider import build_provider
    from samgak.identity.repository import IdentityRepository
    from samgak.kit.crypto import keyed_digest
    from samgak.kit.db import Database
    from samgak.kit.timeutil import utcnow

    keys = build_provider(settings).keys
    database = Database(settings.database_url)
    jars = []
    try:
        async with database.unit_of_work() as session:
            repo = IdentityRepository(session)
            for n, known in enumerate(people if isinstance(people, list) else [None] * people):
                now = utcnow()
                ci = known.ci if known is not None else secrets.token_urlsafe(66)[:88]
                account = IdentityAccount(
                    subject=secrets.token_urlsafe(32),
                    ci_digest=keyed_digest(keys.digest_key, ci),
                    ci_sealed=keys.sealer.seal(ci),
                    name=known.name if known is not None else f"벤치{n}",
                    birth_date="19900101",
                    phone_sealed=keys.sealer.seal(f"0109000{n:04d}"),
                    created_at=now,
                    proven_at=now,
                )
                await repo.add(account)
                cookie = await accounts.open_session(session, account, acr=accounts.CARRIER_ACR, amr="sms")
                jars.append({COOKIE: cookie})
                if client_id is None:
                    continue
                await repo.add(
                    IdentityGrant(
                        id=secrets.token_urlsafe(24),
                        client_id=client_id,
                        subject=account.subject,
                        scope="openid profile",
                        acr=accounts.CARRIER_ACR,
                        amr="sms",
                        auth_time=now,
                        refresh_digest=None,
                        created_at=now,
                        revoked_at=None,
                    )
                )
    finally:
        await database.dispose()
    return jars


async def register_client(settings: Any, key: ECKey) -> str:
    from samgak import directory
    from samgak.kit.db import Database

    database = Database(settings.database_url)
    try:
        async with database.unit_of_work() as session:
            party = await directory.register_relying_party(
                session,
                directory.RelyingPartyCreate(
                    org_code="WRBK000020",
                    name="bench-identity",
                    redirect_uris=[REDIRECT],
                    jwks={"keys": [key.as_dict(private=False) | {"kid": "bench"}]},
                    scope="openid profile",
                ),
            )
        return party.client_id
    finally:
        await database.dispose()


def start_ours(
    backend: Backend, port: int, log: Path, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = (
        backend.env(port)
        | (extra or {})
        | {
            # One client stands for every virtual person here; its per-client limit is a setting.
            "SAMGAK_IDENTITY__CLIENT_RATE_PER_SECOND": "1000000",
            "SAMGAK_IDENTITY__CLIENT_BURST": "1000000",
        }
    )
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "samgak.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
    ]
    return subprocess.Popen(
        pinned(SERVER_CPU, command),
        env=env,
        cwd=HERE.parent,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):
        try:
            if httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if server.poll() is not None:
            raise RuntimeError(log.read_text())
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def stop(server: subprocess.Popen[bytes] | None) -> None:
    if server is not None and server.poll() is None:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


# --------------------------------------------------------------------------- the driver


def drive(
    target: dict[str, Any], mode: str, concurrency: int, seconds: float, codes: int = 0
) -> dict[str, Any]:
    options = target | {"mode": mode, "concurrency": concurrency, "seconds": seconds, "codes": codes}
    done = subprocess.run(
        pinned(DRIVER_CPU, ["node", str(NODE / "driver.mjs"), json.dumps(options)]),
        capture_output=True,
        text=True,
        timeout=seconds + 300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} failed requests; first: {result['first_error']}")
    return result


def measure(target: dict[str, Any], seconds: float) -> dict[str, Any]:
    """Full flows at each concurrency, then code exchanges at ``EXCHANGE_CLIENTS``."""
    flows = {}
    for concurrency in CONCURRENCY:
        flows[str(concurrency)] = drive(target, "flows", concurrency, seconds)
        row = flows[str(concurrency)]
        print(
            f"  {target['label']:<22} flows c={concurrency:<3} {row['per_s']:8.1f}/s"
            f"  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms",
            flush=True,
        )
    # Enough codes for about `seconds` of exchanges at the full-flow rate times three, collected in
    # well under the codes' 60 s lifetime.
    codes = int(min(4000, max(500, flows[str(EXCHANGE_CLIENTS)]["per_s"] * 3 * min(seconds, 10))))
    exchanges = drive(target, "exchanges", EXCHANGE_CLIENTS, seconds, codes)
    print(
        f"  {target['label']:<22} exchanges c={EXCHANGE_CLIENTS} {exchanges['per_s']:8.1f}/s"
        f"  p50 {exchanges['p50_ms']:6.1f} ms  p99 {exchanges['p99_ms']:6.1f} ms",
        flush=True,
    )
    return {"flows": flows, "exchanges": exchanges}


def bench_ours(kind: str, folder: Path, seconds: float) -> dict[str, Any]:
    backend = Backend(kind, folder, label="-identity")
    server = None
    try:
        backend.migrate_and_seed(50)
        backend.register_service()  # the directory's seed (orgs, relying parties of the demo)
        settings = backend.settings()
        key = ECKey.generate_key("P-256")
        client_id = asyncio.run(register_client(settings, key))
        jars = asyncio.run(sign_in_people(settings, client_id, max(CONCURRENCY)))
        backend.settle()
        port = free_port()
        log = folder / f"server-{kind}.log"
        server = start_ours(backend, port, log)
        issuer = f"http://127.0.0.1:{port}/oidc"
        wait_for(f"{issuer}/.well-known/openid-configuration", server, log)
        target = {
            "label": f"samgak ({kind})",
            "issuer": issuer,
            "client_id": client_id,
            "private_jwk": json.dumps(key.as_dict(private=True) | {"kid": "bench"}),
            "redirect_uri": REDIRECT,
            "cookies": jars,
        }
        return measure(target, seconds)
    finally:
        stop(server)
        backend.close()


def bench_anchor(folder: Path, seconds: float) -> dict[str, Any]:
    key = ECKey.generate_key("P-256")
    client_id = "bench-identity"
    port = free_port()
    registered = {
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "jwks": {"keys": [key.as_dict(private=False) | {"kid": "bench"}]},
    }
    log = folder / "anchor.log"
    server = subprocess.Popen(
        pinned(SERVER_CPU, ["node", str(NODE / "anchor.mjs"), str(port), json.dumps(registered)]),
        env=os.environ | {"NODE_ENV": "production"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        issuer = f"http://127.0.0.1:{port}"
        wait_for(f"{issuer}/.well-known/openid-configuration", server, log)
        target = {
            "label": "oidc-provider (memory)",
            "issuer": issuer,
            "client_id": client_id,
            "private_jwk": json.dumps(key.as_dict(private=True) | {"kid": "bench"}),
            "redirect_uri": REDIRECT,
            "cookies": None,
        }
        return measure(target, seconds)
    finally:
        stop(server)


# --------------------------------------------------------------------------- report


def postgres_reachable() -> bool:
    try:
        import psycopg

        from benchmarks.holder import _pg_admin

        with psycopg.connect(_pg_admin(), connect_timeout=2):
            return True
    except Exception:
        return False


def package_version(name: str) -> str:
    manifest = NODE / "node_modules" / name / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.exists() else "?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    if shutil.which("node") is None or not (NODE / "node_modules" / "oidc-provider").exists():
        sys.exit(
            "bench-identity needs Node.js and `npm ci --prefix benchmarks/oidc` (make bench-identity does it)"
        )
    kinds = [k for k in args.databases.split(",") if k]
    if "postgres" in kinds and not postgres_reachable():
        print("PostgreSQL is not reachable: measuring SQLite only", flush=True)
        kinds.remove("postgres")

    with tempfile.TemporaryDirectory(prefix="samgak-bench-identity-") as tmp:
        folder = Path(tmp)
        print("oidc-provider (the anchor):", flush=True)
        anchor = bench_anchor(folder, args.seconds)
        ours = {}
        for kind in kinds:
            print(f"samgak on {kind}:", flush=True)
            ours[kind] = bench_ours(kind, folder, args.seconds)

    primary = ours["sqlite"] if "sqlite" in ours else next(iter(ours.values()))
    summary = {
        "exchanges_per_s": round(primary["exchanges"]["per_s"], 1),
        "anchor_exchanges_per_s": round(anchor["exchanges"]["per_s"], 1),
        "flows_per_s": round(primary["flows"]["50"]["per_s"], 1),
        "anchor_flows_per_s": round(anchor["flows"]["50"]["per_s"], 1),
        "flow_p99_ms_c10": round(primary["flows"]["10"]["p99_ms"], 1),
    }
    report = summary | {
        "primary_database": "sqlite" if "sqlite" in ours else kinds[0],
        "samgak": ours,
        "anchor": anchor,
        "machine": {
            "cpu_count": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
            "oidc_provider": package_version("oidc-provider"),
            "openid_client": package_version("openid-client"),
            "server_cpu": SERVER_CPU,
            "driver_cpu": DRIVER_CPU,
        },
        "seconds_per_point": args.seconds,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")

    print()
    print(
        f"{'server':<24}{'flows/s c=1':>12}{'c=10':>9}{'c=50':>9}{'p99 c=10':>10}{'exch/s c=50':>13}{'p50':>8}{'p99':>8}"
    )
    for label, row in [("oidc-provider (memory)", anchor)] + [(f"samgak ({k})", v) for k, v in ours.items()]:
        flows, exchange = row["flows"], row["exchanges"]
        print(
            f"{label:<24}{flows['1']['per_s']:>12.1f}{flows['10']['per_s']:>9.1f}{flows['50']['per_s']:>9.1f}"
            f"{flows['10']['p99_ms']:>9.1f}ms{exchange['per_s']:>13.1f}{exchange['p50_ms']:>6.1f}ms"
            f"{exchange['p99_ms']:>6.1f}ms"
        )
    print(f"\nwrote {RESULTS.relative_to(HERE.parent)}: {json.dumps(summary)}")


if __name__ == "__main__":
    main()
