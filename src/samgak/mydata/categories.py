"""Spending categories of card approvals, decided by the operator.

The standard's approval lists (카드-008) carry the merchant's name and business number but no
category, so every aggregator classifies on its own. Ours is a table of name fragments, first match
wins; a merchant it does not know is "기타" (other).
"""

from __future__ import annotations

RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("통신", ("KT ", "KT통신", "SKT", "LG U+")),
    ("편의점", ("GS25", "CU", "세븐일레븐", "이마트24")),
    ("카페", ("스타벅스", "커피", "투썸", "카페")),
    ("마트", ("이마트", "홈플러스", "롯데마트", "마트")),
    ("온라인쇼핑", ("쿠팡", "11번가", "G마켓", "옥션", "AMAZON")),
    ("배달", ("배달의민족", "요기요", "쿠팡이츠")),
    ("음식점", ("김밥", "죽", "치킨", "맥도날드", "버거", "식당")),
    ("주유", ("주유소", "칼텍스", "에너지")),
    ("교통", ("티머니", "카카오T", "택시", "코레일")),
    ("문화", ("CGV", "메가박스", "문고", "영풍")),
    ("구독", ("넷플릭스", "APPLE.COM", "유튜브")),
    ("의료", ("병원", "약국", "의원")),
    ("여행", ("항공", "야놀자", "AGODA", "여기어때", "DON QUIJOTE")),
    ("의류", ("무신사", "유니클로", "자라")),
    ("뷰티", ("올리브영",)),
    ("생활", ("다이소",)),
    ("가전", ("하이마트", "전자랜드")),
)
OTHER = "기타"


def category_of(merchant: str) -> str:
    for category, fragments in RULES:
        if any(fragment in merchant for fragment in fragments):
            return category
    return OTHER
