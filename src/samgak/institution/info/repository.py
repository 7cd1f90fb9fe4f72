"""All SQL of the 정보제공 APIs: one keyset query per page, newest first.

Pages fetch ``limit + 1`` rows: the extra row only says whether a next page exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from samgak.kit.rawsql import RawQuery, Reader

ASSET_LIST = RawQuery(
    """
    SELECT a.id, a.kind, a.asset_key, a.seqno, a.status, a.sort_key, a.detail,
           (SELECT 1 FROM gw_consent_asset ca WHERE ca.consent_id = :consent_id AND ca.asset_id = a.id)
    FROM core_asset a
    WHERE a.customer_id = :customer_id AND a.kind IN (:kind_a, :kind_b) AND a.status <> '99'
      AND (a.sort_key > :after_sort OR (a.sort_key = :after_sort AND a.asset_key > :after_key))
    ORDER BY a.sort_key, a.asset_key
    LIMIT :limit
    """
)

LIST_MODIFIED = RawQuery(
    """
    SELECT c.assets_modified_at, c.reg_date, co.created_at
    FROM core_customer c LEFT JOIN gw_consent co ON co.id = :consent_id
    WHERE c.id = :customer_id
    """
)

ACCESS_COLUMNS = 5  # what KeysetPage.checked adds after a page's own columns

_ACCESS = """
    SELECT a.id AS asset_id, a.currency_code AS currency_code, g.customer_id AS customer_id,
           g.consent_id AS consent_id, co.is_consent_trans_memo AS memo, co.is_consent_merchant_name_regno AS regno
    FROM gw_grant g
    JOIN core_customer c ON c.id = g.customer_id
    JOIN gw_consent co ON co.id = g.consent_id
    JOIN core_asset a ON a.asset_key = :asset_key
    JOIN gw_consent_asset ca ON ca.consent_id = g.consent_id AND ca.asset_id = a.id
    WHERE g.access_jti = :jti AND g.revoked_at IS NULL AND c.history_ready AND co.end_date >= :today
      AND a.kind = :kind AND a.customer_id = g.customer_id AND a.status NOT IN ('98', '99')
"""


class KeysetPage:
    """A newest-first page of one asset's rows (``limit + 1`` fetched), as two statements:

    * ``by_id`` — the page of an asset already checked;
    * ``checked`` — the same page together with every check of
      :class:`~samgak.institution.info.base.Call` (grant live, consent current and covering the asset,
      asset open and the customer's), so an allowed call costs one read. It returns rows only when all
      checks pass, each followed by ``ACCESS_COLUMNS`` small columns (customer, consent, the consent's
      memo and merchant flags, the asset's currency).

    The checks run once (a materialized one-row CTE) and the page stays an ordered index range scan
    that stops at LIMIT: the scalar subquery makes the asset id a constant for the planner, and
    ``CROSS JOIN`` keeps SQLite from putting the CTE in the outer loop and sorting the whole window.
    """

    def __init__(self, table: str, columns: str, where: str, time: str = "trans_dtime") -> None:
        tail = (
            f" AND (t.{time} < :after_dtime OR (t.{time} = :after_dtime AND t.id < :after_id))"
            f" ORDER BY t.{time} DESC, t.id DESC LIMIT :limit"
        )
        self.by_id = RawQuery(
            f"SELECT {columns}, t.id FROM {table} t WHERE t.asset_id = :asset_id AND {where}{tail}"
        )
        self.checked = RawQuery(
            f"WITH acc AS MATERIALIZED ({_ACCESS}) "
            f"SELECT {columns}, t.id, acc.customer_id, acc.consent_id, acc.memo, acc.regno, acc.currency_code "
            f"FROM {table} t CROSS JOIN acc WHERE t.asset_id = (SELECT asset_id FROM acc) AND {where}{tail}"
        )


_IN_WINDOW = "t.trans_dtime >= :from_dtime AND t.trans_dtime <= :to_dtime"

DEPOSIT_TX_PAGE = KeysetPage(
    "core_deposit_tx",
    "t.trans_dtime, t.trans_no, t.trans_type, t.trans_class, t.trans_amt, t.balance_amt, t.trans_memo",
    _IN_WINDOW,
)

LOAN_TX_PAGE = KeysetPage(
    "core_loan_tx",
    "t.trans_dtime, t.trans_no, t.trans_type, t.trans_amt, t.balance_amt, t.principal_amt, t.int_amt, t.int_rate, "
    "t.int_start_date, t.int_end_date",
    _IN_WINDOW,
)

NEXT_REPAY = RawQuery(
    """
    SELECT MAX(trans_dtime) FROM core_loan_tx WHERE asset_id = :asset_id
    """
)

CARD_POINTS = RawQuery(
    """
    SELECT point_name, remain_point_amt, expiring_point_amt FROM core_point WHERE customer_id = :customer_id
    ORDER BY id
    """
)

CARD_BILL_PAGE = RawQuery(
    """
    SELECT seqno, charge_amt, charge_day, charge_month, paid_out_date, card_type, id
    FROM core_card_bill
    WHERE customer_id = :customer_id AND charge_month >= :from_month AND charge_month <= :to_month
      AND (charge_month < :after_month OR (charge_month = :after_month AND id < CAST(:after_id AS BIGINT)))
    ORDER BY charge_month DESC, id DESC
    LIMIT :limit
    """
)

CARD_BILL_DETAILS = RawQuery(
    """
    SELECT details FROM core_card_bill
    WHERE customer_id = :customer_id AND charge_month = :charge_month AND (:seqno = '' OR seqno = :seqno)
    ORDER BY seqno, id
    """
)

CARD_PAYMENTS = RawQuery(
    """
    SELECT seqno, paid_out_date, charge_amt FROM core_card_bill
    WHERE customer_id = :customer_id AND paid_out_date >= :today
    ORDER BY paid_out_date, seqno, id
    """
)


def _card_approval_page(country: str) -> KeysetPage:
    """카드-008/009 pages: approvals in the window, and cancellations (``trans_dtime``) in it too."""
    return KeysetPage(
        "core_card_approval",
        "t.approved_dtime, t.approved_num, t.status, t.pay_type, t.trans_dtime, t.merchant_name, t.merchant_regno, "
        "t.approved_amt, t.modified_amt, t.total_install_cnt, t.country_code, t.currency_code, t.foreign_amt",
        f"t.country_code {country} AND t.approved_dtime <= :to_dtime AND (t.approved_dtime >= :from_dtime "
        "OR (t.trans_dtime >= :from_dtime AND t.trans_dtime <= :to_dtime))",
        time="approved_dtime",
    )


CARD_DOMESTIC_PAGE = _card_approval_page("IS NULL")
CARD_OVERSEAS_PAGE = _card_approval_page("IS NOT NULL")

TELECOM_MONTHS = RawQuery(
    """
    SELECT month, charge_amt, charge_date, paid_amt, pay_method FROM core_telecom_month
    WHERE asset_id = :asset_id AND month >= :from_month AND month <= :to_month
    ORDER BY month DESC
    """
)

TELECOM_PAID_PAGE = KeysetPage(
    "core_telecom_paid",
    "t.trans_dtime, t.trans_amt, t.merchant_name, t.merchant_regno, t.trans_title",
    _IN_WINDOW,
)


def keyset_params(window: tuple[str, str], after: tuple[str, int], limit: int) -> dict[str, Any]:
    """The parameters of a :class:`KeysetPage` for a DATE window, a cursor and a page size."""
    return {
        "from_dtime": window[0] + "000000",
        "to_dtime": window[1] + "235959",
        "after_dtime": after[0],
        "after_id": after[1],
        "limit": limit + 1,
    }


class InfoRepository:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    async def asset_list(
        self,
        *,
        customer_id: int,
        consent_id: int | None,
        kinds: tuple[str, str],
        after: tuple[str, str],
        limit: int,
    ) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            ASSET_LIST,
            consent_id=consent_id or 0,
            customer_id=customer_id,
            kind_a=kinds[0],
            kind_b=kinds[1],
            after_sort=after[0],
            after_key=after[1],
            limit=limit + 1,
        )

    async def list_modified(self, customer_id: int, consent_id: int | None) -> Sequence[Any]:
        rows = await self.reader.fetch(LIST_MODIFIED, consent_id=consent_id or 0, customer_id=customer_id)
        return rows[0]

    async def last_loan_payment(self, asset_id: int) -> str | None:
        rows = await self.reader.fetch(NEXT_REPAY, asset_id=asset_id)
        return rows[0][0] if rows else None

    async def card_points(self, customer_id: int) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(CARD_POINTS, customer_id=customer_id)

    async def card_bill_page(
        self, customer_id: int, window: tuple[str, str], after: tuple[str, int], limit: int
    ) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            CARD_BILL_PAGE,
            customer_id=customer_id,
            from_month=window[0],
            to_month=window[1],
            after_month=after[0],
            after_id=after[1],
            limit=limit + 1,
        )

    async def card_bill_details(
        self, customer_id: int, charge_month: str, seqno: str | None
    ) -> Sequence[Sequence[Any]]:
        """The JSON 카드-005 items of one month's bill(s) (one bill per ``seqno``), in bill order."""
        return await self.reader.fetch(
            CARD_BILL_DETAILS, customer_id=customer_id, charge_month=charge_month, seqno=seqno or ""
        )

    async def card_payments(self, customer_id: int, today: str) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(CARD_PAYMENTS, customer_id=customer_id, today=today)

    async def telecom_months(self, asset_id: int, window: tuple[str, str]) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            TELECOM_MONTHS, asset_id=asset_id, from_month=window[0], to_month=window[1]
        )
