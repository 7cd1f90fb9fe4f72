"""The scopes the provider grants, with the names a person reads on consent and account pages."""

from __future__ import annotations

SCOPE_NAMES = {"openid": "로그인 확인", "profile": "이름·생년월일", "phone": "휴대폰 번호"}


def readable(scope: str) -> list[str]:
    return [SCOPE_NAMES.get(s, s) for s in scope.split()]
