"""``samgak`` — thin commands that parse, open the unit of work, call a service, print with Rich."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from samgak.config import get_settings

app = typer.Typer(help="삼각 samgak — the alliance platform.", no_args_is_help=True)
keys = typer.Typer(help="The identity provider's signing keys.", no_args_is_help=True)
app.add_typer(keys, name="keys")
console = Console()
DEMO_CUSTOMERS_FILE = Path("var/demo-customers.json")
DEMO_MERCHANT_FILE = Path("var/demo-merchant.json")


@app.command()
def migrate() -> None:
    """Bring the platform database and every member's database to the newest schema."""
    from samgak.app import migrations_path
    from samgak.kit.migrate import upgrade

    settings = get_settings()
    upgrade(migrations_path("platform"), settings.database_url)
    for member in settings.members:
        upgrade(migrations_path("institution"), settings.institution_database_url(member))
    console.print(f"[green]migrated[/] platform and {len(settings.members)} members")


@app.command()
def seed(
    customers: int = typer.Option(300, "--customers", "-n", min=1, help="people in the synthetic alliance"),
    seed_value: int = typer.Option(None, "--seed", help="generator seed (default: settings.core.seed)"),
    as_of: str = typer.Option(None, "--as-of", help="last day of history, YYYY-MM-DD (default: today KST)"),
) -> None:
    """Write the synthetic alliance into every member's core (same seed → byte-identical data)."""
    from samgak.institution.app import member_keys
    from samgak.institution.core.synthetic import SyntheticAlliance, seed_alliance
    from samgak.kit.timeutil import today_kst

    migrate()
    settings = get_settings()
    day = date.fromisoformat(as_of) if as_of else (settings.core.as_of or today_kst())
    seed_number = settings.core.seed if seed_value is None else seed_value
    started = time.perf_counter()
    columns = (
        TextColumn("[bold]seeding"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("customers"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("seed", total=customers)
        counts = seed_alliance(
            urls={m.slug: settings.institution_database_url(m) for m in settings.members},
            keys={m.slug: member_keys(settings, m) for m in settings.members},
            customers=customers,
            seed=seed_number,
            as_of=day,
            years=settings.core.history_years,
            progress=lambda n: progress.advance(task, n),
        )
    elapsed = time.perf_counter() - started
    table = Table(title=f"synthetic alliance (seed {seed_number}, history to {day})")
    table.add_column("member")
    table.add_column("customers", justify="right")
    for member in settings.members:
        table.add_row(member.org_name, f"{counts.get(member.slug, 0):,}")
    console.print(table)
    console.print(f"{customers:,} people in {elapsed:.1f} s ({customers / elapsed:,.0f} customers/s)")
    alliance = SyntheticAlliance(seed_number, day, settings.core.history_years)
    names = {m.slug: m.org_name for m in settings.members}
    demo: list[dict[str, object]] = []
    for index in range(min(customers, 40)):
        person = alliance.person(index)
        held = alliance.holdings(person)
        if len(held) >= 3 or (person.thin_file and len(demo) < 2):
            demo.append(
                {
                    "name": person.name,
                    "phone": person.phone,
                    "birth_date": f"{person.birth_date:%Y%m%d}",
                    "ci": person.ci,
                    "members": [names[m] for m in held if m in names],
                    "thin_file": person.thin_file,
                }
            )
        if len(demo) >= 8:
            break
    DEMO_CUSTOMERS_FILE.parent.mkdir(parents=True, exist_ok=True)
    DEMO_CUSTOMERS_FILE.write_text(json.dumps(demo, ensure_ascii=False, indent=1))
    _seed_demo_merchant(alliance, customers)


def _seed_demo_merchant(alliance: Any, customers: int) -> None:
    """삼각상회, the demo shop: a sole proprietor whose settlement account is their own demand
    deposit at Woori Bank (from the synthetic core), onboarded once; its key in var/."""
    import asyncio

    from samgak import payments
    from samgak.kit.db import Database

    if DEMO_MERCHANT_FILE.exists():
        return
    owner, account = next(
        (person, spec)
        for person in (alliance.person(i) for i in range(customers - 1, -1, -1))
        for spec in alliance.holdings(person).get("woori-bank", [])
        if spec.kind == "deposit" and spec.detail["saving_method"] == "01"
    )
    business_no = next(
        f"{n:010d}" for n in range(1_208_800_000, 1_208_900_000) if payments.valid_business_no(f"{n:010d}")
    )
    settings = get_settings()

    async def run() -> tuple[str, str]:
        database = Database(settings.database_url)
        try:
            create = payments.MerchantCreate(
                "삼각상회", business_no, "5499", "WRBK000020", account.asset_key, owner.name, 250
            )
            return await payments.onboard(database, payments.sealer_of(settings), create)
        finally:
            await database.dispose()

    try:
        merchant_id, key = asyncio.run(run())
    except payments.PaymentsError as refused:
        console.print(f"[yellow]demo merchant not onboarded: {refused.message}[/yellow]")
        return
    DEMO_MERCHANT_FILE.write_text(json.dumps({"merchant_id": merchant_id, "api_key": key}))
    console.print(
        f"demo merchant 삼각상회 [bold]{merchant_id}[/] (settles to {owner.name}'s Woori Bank account)"
    )


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the platform with every member mounted under /inst/{slug}."""
    import uvicorn

    from samgak.app import create_app

    application = create_app()
    if DEMO_CUSTOMERS_FILE.exists():
        application.state.demo_customers = json.loads(DEMO_CUSTOMERS_FILE.read_text())
    if DEMO_MERCHANT_FILE.exists():
        application.state.demo_merchant = json.loads(DEMO_MERCHANT_FILE.read_text())
        application.state.shop.api_key = application.state.demo_merchant["api_key"]
    console.print(
        f"[bold green]samgak[/] on http://{host}:{port}  (members under /inst/…, docs at /inst/<slug>/docs)"
    )
    uvicorn.run(application, host=host, port=port, log_level="warning")


@keys.command("rotate")
def rotate_keys() -> None:
    """Make a new signing key current; the previous one stays published for the overlap."""
    import asyncio

    from samgak import identity
    from samgak.kit.db import Database

    settings = get_settings()

    async def rotate() -> tuple[str, int]:
        database = Database(settings.database_url)
        try:
            async with database.unit_of_work() as session:
                kid = await identity.rotate_signing_key(
                    session, identity.key_sealer(settings), overlap=identity.key_overlap(settings)
                )
                published = len((await identity.public_jwks(session))["keys"])
            return kid, published
        finally:
            await database.dispose()

    kid, published = asyncio.run(rotate())
    console.print(f"signing key [bold]{kid}[/] is current; {published} key(s) published in /oidc/jwks")


@app.command()
def collect(
    subject: str = typer.Option(
        None, "--subject", help="one person (alliance subject); default: everyone linked"
    ),
    api_type: str = typer.Option(
        "user-refresh", "--api-type", help="user-consent, user-refresh or scheduled (x-api-type)"
    ),
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=256, help="links collected at once"),
    workers: int = typer.Option(
        0, "--workers", min=0, max=64, help="worker processes taking the jobs from the broker; 0 = here"
    ),
    fresh: bool = typer.Option(False, "--new", help="start anew instead of resuming an unfinished run"),
) -> None:
    """Collect now from every linked member of every customer, with progress per member.

    A run stopped or killed midway is resumed by the next ``samgak collect`` of the same type.
    With ``--workers N`` the jobs go to the broker (``mydata.broker_url``, Redis) and N
    ``samgak collect-worker`` processes take them; workers on other machines may join."""
    import asyncio
    import sys

    from samgak import mydata
    from samgak.app import ca_url
    from samgak.kit.db import Database

    settings = get_settings()
    if api_type not in ("user-consent", "user-refresh", "scheduled"):
        raise typer.BadParameter(
            "--api-type is user-consent, user-refresh or scheduled", param_hint="--api-type"
        )

    async def run() -> mydata.RunProgress | None:
        database = Database(settings.database_url)
        service = mydata.build_mydata(settings, ca_url=ca_url(settings))
        try:
            async with database.read_sessions() as session:
                if not await mydata.load_credentials(session, service):
                    console.print("[red]The MyData service was never started: run `samgak serve` once.[/red]")
                    raise typer.Exit(1)
            run_id, resumed = await mydata.open_or_start_run(
                database, api_type=api_type, subject=subject, fresh=fresh
            )
            if run_id is None:
                return None
            if resumed:
                console.print(
                    f"중단된 수집 #{run_id}을 이어서 합니다 (resuming run {run_id}; --new starts anew)"
                )
            names = {code: holder.member.org_name for code, holder in service.holders.items()}
            start = await mydata.run_progress(database, run_id)
            columns = (
                TextColumn("{task.description:<8}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as bars:
                tasks = {
                    code: bars.add_task(
                        names.get(code, code), total=total, completed=start.settled.get(code, 0)
                    )
                    for code, total in sorted(start.total.items())
                }

                async def follow() -> mydata.RunProgress:
                    while True:
                        now = await mydata.run_progress(database, run_id)
                        for code, task in tasks.items():
                            bars.update(task, completed=now.settled.get(code, 0))
                        if now.finished:
                            return now
                        await asyncio.sleep(0.25)

                if workers:
                    stream = mydata.JobStream(
                        settings.mydata.broker_url, lease_seconds=settings.mydata.job_lease_seconds
                    )
                    await mydata.publish_run(database, stream, run_id, api_type)
                    await stream.close()
                    command = (sys.executable, "-m", "samgak.cli", "collect-worker", "--concurrency")
                    children = [
                        await asyncio.create_subprocess_exec(*command, str(concurrency))
                        for _ in range(workers)
                    ]
                    try:
                        final = await follow()
                    finally:
                        for child in children:
                            if child.returncode is None:
                                child.terminate()
                        for child in children:
                            await child.wait()
                    await mydata.close_run(database, run_id)
                else:
                    following = asyncio.create_task(follow())
                    while not await mydata.work_run(database, service, run_id, concurrency=concurrency):
                        await asyncio.sleep(1)  # jobs leased by another collector: taken over if it died
                    final = await following
            return final
        finally:
            await service.close()
            await database.dispose()

    final = asyncio.run(run())
    if final is None:
        console.print("No one is linked yet: link members at /mydata/link first (연결된 고객이 없습니다).")
        return
    table = Table(title=f"MyData collection ({api_type})")
    for column in ("member", "links", "assets", "failed"):
        table.add_column(column, justify="left" if column == "member" else "right")
    names = {m.org_code: m.org_name for m in settings.members}
    for code in sorted(final.total):
        table.add_row(
            names.get(code, code),
            f"{final.settled.get(code, 0):,}",
            f"{final.assets.get(code, 0):,}",
            f"{final.failed.get(code, 0):,}",
        )
    console.print(table)


@app.command("collect-worker")
def collect_worker(
    concurrency: int = typer.Option(16, "--concurrency", min=1, max=256, help="links collected at once"),
    name: str = typer.Option(None, "--name", help="consumer name in the group; default host-pid"),
) -> None:
    """Take MyData collection jobs from the broker (``mydata.broker_url``) until stopped
    (SIGTERM or Ctrl-C: the jobs in hand are finished first)."""
    import asyncio
    import os
    import signal
    import socket

    from samgak import mydata
    from samgak.app import ca_url
    from samgak.kit.db import Database

    settings = get_settings()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        database = Database(settings.database_url)
        service = mydata.build_mydata(settings, ca_url=ca_url(settings))
        stream = mydata.JobStream(settings.mydata.broker_url, lease_seconds=settings.mydata.job_lease_seconds)
        try:
            async with database.read_sessions() as session:
                if not await mydata.load_credentials(session, service):
                    console.print("[red]The MyData service was never started: run `samgak serve` once.[/red]")
                    raise typer.Exit(1)
            consumer = name or f"{socket.gethostname()}-{os.getpid()}"
            await mydata.work_stream(database, service, stream, consumer, concurrency=concurrency, stop=stop)
        finally:
            await stream.close()
            await service.close()
            await database.dispose()

    asyncio.run(run())


merchants = typer.Typer(help="MyPayment merchants of the card network.", no_args_is_help=True)
app.add_typer(merchants, name="merchant")


@merchants.command("add")
def merchant_add(
    name: str = typer.Option(..., "--name", help="가맹점명"),
    business_no: str = typer.Option(..., "--business-no", help="사업자등록번호 (10 digits)"),
    mcc: str = typer.Option(..., "--mcc", help="merchant category code (4 digits)"),
    bank: str = typer.Option("WRBK000020", "--bank", help="org code of the settlement bank"),
    account: str = typer.Option(..., "--account", help="settlement account number"),
    holder: str = typer.Option(..., "--holder", help="예금주: the settlement account holder's name"),
    fee_bps: int = typer.Option(250, "--fee-bps", help="fee in basis points (250 = 2.5%)"),
) -> None:
    """Onboard a merchant and print its API key (shown only this once)."""
    import asyncio

    from samgak import payments
    from samgak.kit.db import Database

    settings = get_settings()

    async def run() -> tuple[str, str]:
        database = Database(settings.database_url)
        try:
            create = payments.MerchantCreate(name, business_no, mcc, bank, account, holder, fee_bps)
            return await payments.onboard(database, payments.sealer_of(settings), create)
        finally:
            await database.dispose()

    try:
        merchant_id, key = asyncio.run(run())
    except payments.PaymentsError as refused:
        console.print(f"[red]{refused.message}[/red]")
        raise typer.Exit(2) from None
    console.print(f"merchant [bold]{merchant_id}[/] onboarded; API key (shown once): [bold]{key}[/]")


def _with_payments(work: Any) -> Any:
    """Run ``work(database, payments)`` with the payment service's stored bank credentials (the
    banks are reached over HTTP: the server must be running)."""
    import asyncio

    from samgak import payments
    from samgak.kit.db import Database

    settings = get_settings()

    async def run() -> Any:
        database = Database(settings.database_url)
        service = payments.build_payments(settings)
        try:
            async with database.unit_of_work() as session:
                await payments.ensure_credentials(session, service)
            return await work(database, service)
        finally:
            await service.close()
            await database.dispose()

    return asyncio.run(run())


@merchants.command("settle")
def merchant_settle(
    day: str = typer.Option(None, "--day", help="business day YYYY-MM-DD (default: today KST)"),
) -> None:
    """The daily settlement batch: every merchant's unsettled captures and refunds, paid out."""
    from samgak import payments
    from samgak.kit.timeutil import today_kst

    when = date.fromisoformat(day) if day else today_kst()
    paid = _with_payments(lambda database, service: payments.settle(database, service, when))
    console.print(f"settlement of {when}: [bold]{paid}[/] payouts made")


@merchants.command("reconcile")
def merchant_reconcile(
    day: str = typer.Option(None, "--day", help="business day YYYY-MM-DD (default: today KST)"),
) -> None:
    """Our bank instructions of the day against each bank's list and the ledger; every difference."""
    from samgak import payments
    from samgak.kit.timeutil import today_kst

    when = date.fromisoformat(day) if day else today_kst()
    report = _with_payments(lambda database, service: payments.reconcile(database, service, when))
    table = Table(title=f"reconciliation {report.day}: {report.checked:,} instructions checked")
    for column in ("bank", "bank_tran_id", "difference", "reference"):
        table.add_column(column)
    for line in report.lines:
        table.add_row(*line)
    console.print(table)
    console.print(
        "[green]no differences[/green]" if report.ok else f"[red]{len(report.lines)} differences[/red]"
    )
    if not report.ok:
        raise typer.Exit(1)


@merchants.command("complete")
def merchant_complete() -> None:
    """One round of the completer: finish payments, refunds and payouts a crash left pending."""
    from datetime import timedelta

    from samgak import payments

    settings = get_settings()
    quiet = timedelta(seconds=settings.payments.quiet_seconds)
    done = _with_payments(lambda database, service: payments.resume(database, service, quiet))
    console.print(f"carried on {done} pending payments or instructions")


offers = typer.Typer(help="Partner products and promotions.", no_args_is_help=True)
app.add_typer(offers, name="offers")


@offers.command("run")
def offers_run(month: str = typer.Option(None, "--month", help="YYYYMM (default: last month)")) -> None:
    """The monthly benefit run: what every enrolled customer earned, posted to the ledger, and the
    partner settlement it makes."""
    import asyncio

    from samgak import offers as offers_module
    from samgak.kit.db import Database
    from samgak.kit.timeutil import today_kst
    from samgak.offers.service import month_key

    settings = get_settings()
    which = month or month_key(today_kst(), 1)

    async def run() -> tuple[Any, list[Any]]:
        database = Database(settings.database_url)
        try:
            columns = (
                TextColumn(f"[bold]benefits {which}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("run", total=None)
                report = await offers_module.run_month(
                    database, which, progress=lambda n: progress.advance(task, n)
                )
            return report, await offers_module.partner_settlement(database, which)
        finally:
            await database.dispose()

    report, lines = asyncio.run(run())
    console.print(
        f"{which}: {report.enrolments:,} enrolments, {report.computed:,} computed now, {report.won:,}원 of benefits"
    )
    table = Table(title=f"partner settlement {which}")
    for column in ("promotion", "owes", "to", "customers", "amount"):
        table.add_column(column)
    for line in lines:
        table.add_row(line.product, line.payer, line.payee, f"{line.people:,}", f"{line.amount:,}원")
    console.print(table)


combine = typer.Typer(
    help="Pseudonymized combination: member exports, the agency's linkage and release review."
)
app.add_typer(combine, name="combine", no_args_is_help=True)


@combine.command("export")
def combine_export(
    org: str = typer.Option(..., "--org", help="the member: slug or org code (kt, KTTC000030)"),
    spec: str = typer.Option(..., "--spec", help="a shipped data spec (kt-marketing) or a TOML file"),
) -> None:
    """A member's pseudonymized export into the agency's inbox (the platform must be serving:
    the agency keys the CI digests). Uses the member's portal credentials
    (``SAMGAK_INSTITUTION__PORTAL_CLIENT_*``); without them, on the demo machine, a new support
    credential of the member is registered in the platform database."""
    import asyncio

    from samgak import directory
    from samgak.app import member_clients
    from samgak.institution import combine as member_combine
    from samgak.institution.app import build_institution
    from samgak.kit.db import Database

    settings = get_settings()
    member = settings.member(org)
    data_spec = member_combine.DataSpec.load(spec)

    async def credentials() -> tuple[str, str]:
        if settings.institution.portal_client_id:
            return (
                settings.institution.portal_client_id,
                settings.institution.portal_client_secret.get_secret_value(),
            )
        database = Database(settings.database_url)
        try:
            async with database.unit_of_work() as session:
                return await directory.register_support_client(session, member.org_code)
        finally:
            await database.dispose()

    async def run() -> dict[str, Any]:
        client_id, secret = await credentials()
        member_directory, ca, agency = member_clients(
            settings, member.org_code, client_id=client_id, client_secret=secret
        )
        institution = build_institution(settings, member, directory=member_directory, ca=ca, agency=agency)
        try:
            columns = (
                TextColumn(f"[bold]{member.org_name} export"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console) as progress:
                task = progress.add_task("export", total=None)
                return await member_combine.export(
                    institution, data_spec, agency, progress=lambda n: progress.advance(task, n)
                )
        finally:
            await institution.close()

    manifest = asyncio.run(run())
    console.print(f"[green]{manifest['export_id']}[/]: {manifest['rows']:,} rows, key {manifest['key_id']}")


@combine.command("link")
def combine_link(
    exports: list[str] = typer.Argument(..., help="export ids in the agency's inbox (two or more members)"),
    engine: str = typer.Option("", "--engine", help="duckdb (default) or spark"),
) -> None:
    """The agency links the exports on their join keys: the linkage report."""
    import asyncio

    from samgak import analytics
    from samgak.kit.db import Database

    settings = get_settings()

    async def run() -> Any:
        database = Database(settings.database_url)
        try:
            return await analytics.combine(database, settings, exports, engine or settings.analytics.engine)
        finally:
            await database.dispose()

    linked = asyncio.run(run())
    table = Table(
        title=f"linkage report {linked.combination_id} ({linked.report['engine']}, {linked.report['seconds']} s)"
    )
    for column in ("export", "member", "records", "duplicate keys", "linked", "match rate"):
        table.add_column(column)
    for entry in linked.report["exports"]:
        table.add_row(
            entry["export_id"],
            entry["org_name"],
            f"{entry['rows']:,}",
            f"{entry['duplicate_keys']:,}",
            f"{entry['linked']:,}",
            f"{entry['match_rate']:.1%}",
        )
    console.print(table)


def _with_platform_db(work: Any) -> Any:
    """Run ``work(database, settings)`` against the platform database."""
    import asyncio

    from samgak.kit.db import Database

    settings = get_settings()

    async def run() -> Any:
        database = Database(settings.database_url)
        try:
            return await work(database, settings)
        finally:
            await database.dispose()

    return asyncio.run(run())


@combine.command("review")
def combine_review(
    combination: str = typer.Argument(..., help="the combination id (from `samgak combine link`)"),
    k: int = typer.Option(5, "--k"),
    suppression: float = typer.Option(
        0.0, "--suppression", help="share of records that may be suppressed (0–0.2)"
    ),
    min_l: int = typer.Option(None, "--l", help="distinct ℓ-diversity of the sensitive attribute"),
    max_t: float = typer.Option(None, "--t", help="t-closeness of the sensitive attribute"),
    engine: str = typer.Option("", "--engine", help="duckdb (default) or spark"),
) -> None:
    """The release review: the least-loss generalization meeting the criteria, and its figures."""
    import json

    from samgak import analytics
    from samgak.analytics.repository import AnalyticsRepository

    criteria = analytics.Criteria(k, suppression, min_l, max_t)

    async def work(database: Any, settings: Any) -> tuple[str, dict[str, Any]]:
        review_id = await analytics.review(
            database, settings, combination, criteria, engine or settings.analytics.engine
        )
        async with database.read_sessions() as session:
            row = await AnalyticsRepository(session).review(review_id)
        assert row is not None
        return review_id, json.loads(row.result)

    review_id, result = _with_platform_db(work)
    if not result["satisfied"]:
        console.print(
            f"[red]{review_id}[/]: no generalization meets the criteria ({result['checks']} checks)"
        )
        return
    table = Table(
        title=f"release review {review_id} ({result['checks']} checks of {result['lattice']:,} nodes, {result['search_ms']} ms)"
    )
    table.add_column("figure")
    table.add_column("value")
    table.add_row("levels", ", ".join(f"{name} {level}" for name, level in result["levels"].items()))
    table.add_row(
        "records",
        f"{result['released']:,} released of {result['records']:,} ({result['suppressed']:,} suppressed)",
    )
    table.add_row("k", f"{result['k']} ({result['classes']:,} classes)")
    if "l" in result:
        table.add_row("ℓ distinct / entropy, t", f"{result['l']} / {result['entropy_l']}, {result['t']}")
    risk = result["risk"]
    table.add_row(
        "risk: prosecutor highest / average, marketer",
        f"{risk['prosecutor_highest']:.1%} / {risk['prosecutor_average']:.2%}, {risk['marketer']:.2%}",
    )
    table.add_row("loss (non-uniform entropy)", f"{result['utility']['entropy_bits']:,.1f} bits")
    console.print(table)
    console.print(
        f"decide with: samgak combine decide {review_id} --reviewer NAME --approve|--reject --reasons TEXT"
    )


@combine.command("decide")
def combine_decide(
    review: str = typer.Argument(...),
    reviewer: str = typer.Option(..., "--reviewer"),
    approve: bool = typer.Option(..., "--approve/--reject"),
    reasons: str = typer.Option(..., "--reasons"),
) -> None:
    """Record the reviewer's decision: an approved release leaves the agency, a rejected one is destroyed."""
    from samgak import analytics

    decision = "approved" if approve else "rejected"

    async def work(database: Any, settings: Any) -> None:
        await analytics.decide(
            database, settings, review, reviewer=reviewer, decision=decision, reasons=reasons
        )

    _with_platform_db(work)
    console.print(f"{review}: {decision} by {reviewer}")


score = typer.Typer(help="Alternative credit scoring: train, then serve through members' pages and API.")
app.add_typer(score, name="score", no_args_is_help=True)


@score.command("train")
def score_train(
    people: int = typer.Option(3000, "--people", help="persons of the synthetic alliance to learn from"),
    workers: int = typer.Option(2, "--workers", help="processes that build the histories"),
) -> None:
    """Develop the alternative credit scorecard and its challenger on the alliance's histories
    (cut off six months ago; the outcome is the six months since), measure them on a held-out
    third, and store the versioned model with its card."""
    from samgak.analytics.scoring.develop import develop, frame_of
    from samgak.analytics.scoring.registry import save
    from samgak.kit.timeutil import today_kst
    from samgak.training import examples

    settings = get_settings()
    as_of = settings.core.as_of or today_kst()
    columns = (TextColumn("[bold]histories"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("histories", total=people)
        found = examples(
            settings.core.seed, as_of, people, workers=workers, progress=lambda n: progress.advance(task, n)
        )
        frame, outcome, who = frame_of(found)
    with console.status("fitting the scorecard and the challenger"):
        model = develop(
            frame, outcome, who, source=f"synthetic alliance seed {settings.core.seed}, {people:,} persons"
        )
        folder = save(Path(settings.analytics.models_dir), model)
    measured = model.card["held_out"]
    table = Table(title=f"{model.name} {model.version} (held-out third) → {folder}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in measured.items():
        table.add_row(key, str(value))
    console.print(table)


@app.command("serve-member")
def serve_member(slug: str, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Serve one member's deployable alone (production shape), e.g. ``samgak serve-member kt``.

    Needs the directory (``SAMGAK_INSTITUTION__DIRECTORY_URL``) and the member's 지원-001 credentials
    (``SAMGAK_INSTITUTION__PORTAL_CLIENT_ID`` / ``..._SECRET``, from ``samgak issue-portal-credentials``).
    """
    import uvicorn

    from samgak.app import create_member_app

    console.print(f"[bold green]{slug}[/] on http://{host}:{port}")
    uvicorn.run(create_member_app(get_settings(), slug), host=host, port=port, log_level="warning")


@app.command("issue-portal-credentials")
def issue_portal_credentials(slug: str) -> None:
    """New 지원-001 credentials for a member deployable (replaces its previous ones); shown once."""
    import asyncio

    from samgak import directory
    from samgak.kit.db import Database

    settings = get_settings()
    member = settings.member(slug)

    async def issue() -> tuple[str, str]:
        database = Database(settings.database_url)
        try:
            async with database.unit_of_work() as session:
                await directory.seed_alliance(session, settings)
                return await directory.reissue_support_client(session, member.org_code)
        finally:
            await database.dispose()

    client_id, secret = asyncio.run(issue())
    console.print(f"SAMGAK_INSTITUTION__PORTAL_CLIENT_ID={client_id}")
    console.print(f"SAMGAK_INSTITUTION__PORTAL_CLIENT_SECRET={secret}")


if __name__ == "__main__":
    app()
