"""Offers' words in English (Korean first: keys are the Korean text; see ``kit.i18n``)."""

from __future__ import annotations

from samgak.kit.i18n import Catalogue

ENGLISH = {
    "삼각 제휴 혜택": "Samgak partner offers",
    "내 혜택": "My offers",
    "내 자산": "My assets",
    "제휴 관리": "Partner console",
    "{name}님의 제휴 혜택": "{name}'s partner offers",
    "마이데이터로 연결한 지난달 내역만으로 판단합니다.": "Judged only from last month's data you linked through MyData.",
    "가입 중": "Enrolled",
    "해지": "Opt out",
    "가입하기": "Enrol",
    "월": "Month",
    "할인·캐시백": "Discount · cashback",
    "우대금리": "Preferential rate",
    "내역": "Details",
    "월 혜택 계산": "Monthly benefit run",
    "계산 실행": "Run",
    "{month} 제휴사 정산": "Partner settlement {month}",
    "정산할 혜택이 없습니다.": "No benefits to settle.",
    "프로모션": "Promotion",
    "부담사": "Owes",
    "지급사": "To",
    "고객": "Customers",
    "금액": "Amount",
    "상품": "Products",
    "조건": "Terms",
    "기간": "Term",
    "부담": "Funded by",
    "{n}개월": "{n} months",
    "가입했습니다. 이번 달부터 혜택을 계산합니다.": "Enrolled. Benefits count from this month.",
    "해지했습니다.": "Opted out.",
    "없는 매장 코드입니다": "No such store code",
    "매장 실적": "Store referrals",
    "월 (YYYYMM)": "Month (YYYYMM)",
    "보기": "Show",
    "이 달의 매장 실적이 없습니다. 매장 링크: /r/KT0001": "No store referrals this month. A store's link: /r/KT0001",
    "매장": "Store",
    "지역": "Region",
    "가입": "Joined",
    "기관 연결": "Links",
    "상품 가입": "Enrolments",
    "제외": "Not counted",
    "지역별": "By region",
}

_ = Catalogue(ENGLISH)
