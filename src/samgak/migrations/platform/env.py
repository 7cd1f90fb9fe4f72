"""Alembic environment of the platform's database (one per platform deployable).

Every platform module's metadata is listed in ``target_metadata``; the directory is first.
"""

from alembic import context
from sqlalchemy import MetaData, engine_from_config, pool

from samgak.analytics.models import Base as AnalyticsBase
from samgak.directory.models import Base as DirectoryBase
from samgak.identity.models import Base as IdentityBase
from samgak.ledger.models import Base as LedgerBase
from samgak.mydata.models import Base as MydataBase
from samgak.offers.models import Base as OffersBase
from samgak.payments.models import Base as PaymentsBase

config = context.config
target_metadata: list[MetaData] = [
    DirectoryBase.metadata,
    IdentityBase.metadata,
    MydataBase.metadata,
    LedgerBase.metadata,
    PaymentsBase.metadata,
    OffersBase.metadata,
    AnalyticsBase.metadata,
]


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            version_table="alembic_version_platform",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
