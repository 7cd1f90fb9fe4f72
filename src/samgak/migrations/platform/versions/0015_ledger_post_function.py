"""ledger_post: a posting in one call on PostgreSQL

Revision ID: 0015
Revises: 0014

``ledger_post`` does what ``samgak.ledger.post`` does, inside the server and in one round trip:
the transfer under its key (a key posted before answers ``replayed`` or ``key_reused``), the
entries with their accounts found by code and currency (``P0002`` when one is missing), the kept
balance rows locked in id order and updated, each exactly once (``P0003`` otherwise). SQLite has
one writer and no round trip: the ledger posts there statement by statement.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UP = """
CREATE FUNCTION ledger_post(
  p_key text, p_digest text, p_kind text, p_reverses integer, p_memo text,
  p_codes text[], p_amounts bigint[], p_currencies text[], p_at timestamptz
) RETURNS TABLE (transfer_id integer, outcome text) LANGUAGE plpgsql AS $$
DECLARE
  t_id integer;
  stored text;
  legs integer;
  kept integer;
  applied integer;
BEGIN
  INSERT INTO ledger_transfer (key, digest, kind, reverses, memo, created_at)
    VALUES (p_key, p_digest, p_kind, p_reverses, p_memo, p_at)
    ON CONFLICT (key) DO NOTHING RETURNING id INTO t_id;
  IF t_id IS NULL THEN
    SELECT t.id, t.digest INTO t_id, stored FROM ledger_transfer t WHERE t.key = p_key;
    RETURN QUERY SELECT t_id, CASE WHEN stored = p_digest THEN 'replayed' ELSE 'key_reused' END;
    RETURN;
  END IF;
  INSERT INTO ledger_entry (transfer_id, account_id, amount, currency)
    SELECT t_id, a.id, l.amount, l.currency
    FROM unnest(p_codes, p_amounts, p_currencies) AS l(code, amount, currency)
    JOIN ledger_account a ON a.code = l.code AND a.currency = l.currency;
  GET DIAGNOSTICS legs = ROW_COUNT;
  IF legs <> array_length(p_codes, 1) THEN
    RAISE EXCEPTION 'a leg names an account that was never opened (or in another currency)'
      USING ERRCODE = 'P0002';
  END IF;
  -- NO KEY UPDATE, as the UPDATE itself takes: compatible with the KEY SHARE locks that the
  -- entries' foreign keys hold on the same rows in other postings (FOR UPDATE would deadlock).
  PERFORM 1 FROM ledger_account a WHERE a.code = ANY (p_codes) AND NOT a.recording
    ORDER BY a.id FOR NO KEY UPDATE;
  GET DIAGNOSTICS kept = ROW_COUNT;
  UPDATE ledger_account a SET balance = a.balance + l.amount, version = a.version + 1
    FROM unnest(p_codes, p_amounts) AS l(code, amount)
    WHERE a.code = l.code AND NOT a.recording;
  GET DIAGNOSTICS applied = ROW_COUNT;
  IF applied <> kept THEN
    RAISE EXCEPTION 'balance updates touched % rows of %', applied, kept USING ERRCODE = 'P0003';
  END IF;
  RETURN QUERY SELECT t_id, 'posted'::text;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS ledger_post(text, text, text, integer, text, text[], bigint[], text[], timestamptz)"
        )
