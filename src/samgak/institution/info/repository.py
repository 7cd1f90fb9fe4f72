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

DEPOSIT_TX_PAGE = RawQuery(
    """
    SELECT trans_dtime, trans_no, trans_type, trans_class, trans_amt, balance_amt, trans_memo, id
    FROM core_deposit_tx
    WHERE asset_id = :asset_id AND trans_dtime >= :from_dtime AND trans_dtime <= :to_dtime
      AND (trans_dtime < :after_dtime OR (trans_dtime = :after_dtime AND id < :after_id))
    ORDER BY trans_dtime DESC, id DESC
    LIMIT :limit
    """
)

LOAN_TX_PAGE = RawQuery(
    """
    SELECT trans_dtime, trans_no, trans_type, trans_amt, balance_amt, principal_amt, int_amt, int_rate,
           int_start_date, int_end_date, id
    FROM core_loan_tx
    WHERE asset_id = :asset_id AND trans_dtime >= :from_dtime AND trans_dtime <= :to_dtime
      AND (trans_dtime < :after_dtime OR (trans_dtime = :after_dtime AND id < :after_id))
    ORDER BY trans_dtime DESC, id DESC
    LIMIT :limit
    """
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


def _card_approval_page(country: str) -> RawQuery:
    """카드-008/009 pages: approvals in the window, and cancellations (``trans_dtime``) in it too."""
    return RawQuery(
        f"""
        SELECT approved_dtime, approved_num, status, pay_type, trans_dtime, merchant_name, merchant_regno,
               approved_amt, modified_amt, total_install_cnt, country_code, currency_code, foreign_amt, id
        FROM core_card_approval
        WHERE asset_id = :asset_id AND country_code {country} AND approved_dtime <= :to_dtime
          AND (approved_dtime >= :from_dtime OR (trans_dtime >= :from_dtime AND trans_dtime <= :to_dtime))
          AND (approved_dtime < :after_dtime OR (approved_dtime = :after_dtime AND id < :after_id))
        ORDER BY approved_dtime DESC, id DESC
        LIMIT :limit
        """
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

TELECOM_PAID_PAGE = RawQuery(
    """
    SELECT trans_dtime, trans_amt, merchant_name, merchant_regno, trans_title, id
    FROM core_telecom_paid
    WHERE asset_id = :asset_id AND trans_dtime >= :from_dtime AND trans_dtime <= :to_dtime
      AND (trans_dtime < :after_dtime OR (trans_dtime = :after_dtime AND id < :after_id))
    ORDER BY trans_dtime DESC, id DESC
    LIMIT :limit
    """
)


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

    async def deposit_page(
        self, asset_id: int, window: tuple[str, str], after: tuple[str, int], limit: int
    ) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            DEPOSIT_TX_PAGE,
            asset_id=asset_id,
            from_dtime=window[0] + "000000",
            to_dtime=window[1] + "235959",
            after_dtime=after[0],
            after_id=after[1],
            limit=limit + 1,
        )

    async def loan_page(
        self, asset_id: int, window: tuple[str, str], after: tuple[str, int], limit: int
    ) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            LOAN_TX_PAGE,
            asset_id=asset_id,
            from_dtime=window[0] + "000000",
            to_dtime=window[1] + "235959",
            after_dtime=after[0],
            after_id=after[1],
            limit=limit + 1,
        )

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

    async def card_approval_page(
        self, asset_id: int, window: tuple[str, str], after: tuple[str, int], limit: int, *, overseas: bool
    ) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            CARD_OVERSEAS_PAGE if overseas else CARD_DOMESTIC_PAGE,
            asset_id=asset_id,
            from_dtime=window[0] + "000000",
            to_dtime=window[1] + "235959",
            after_dtime=after[0],
            after_id=after[1],
            limit=limit + 1,
        )

    async def telecom_months(self, asset_id: int, window: tuple[str, str]) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            TELECOM_MONTHS, asset_id=asset_id, from_month=window[0], to_month=window[1]
        )

    async def telecom_paid_page(
        self, asset_id: int, window: tuple[str, str], after: tuple[str, int], limit: int
    ) -> Sequence[Sequence[Any]]:
        return await self.reader.fetch(
            TELECOM_PAID_PAGE,
            asset_id=asset_id,
            from_dtime=window[0] + "000000",
            to_dtime=window[1] + "235959",
            after_dtime=after[0],
            after_id=after[1],
            limit=limit + 1,
        )
