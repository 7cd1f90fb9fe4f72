"""Alembic environment of an institution's database (core and MyData gateway tables)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from samgak.institution.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            version_table="alembic_version_institution",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
