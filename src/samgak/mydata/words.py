"""The MyData service's words in English (Korean first: keys are the Korean text; see ``kit.i18n``)."""

from __future__ import annotations

from samgak.kit.i18n import Catalogue

ENGLISH = {
    # navigation and banners
    "삼각 마이데이터": "Samgak MyData",
    "내 자산": "My assets",
    "기관 연결": "Link institutions",
    "전송요구·이용내역": "Consents & access log",
    "계정": "Account",
    "{org} 전송요구가 만료되었습니다.": "Your consent for {org} has expired.",
    "{org} 전송요구가 {days}일 뒤({end}) 끝납니다.": "Your consent for {org} ends in {days} days ({end}).",
    "같은 조건으로 갱신": "Renew as it is",
    "조건 바꾸기": "Change it",
    # dashboard
    "{name}님의 자산": "{name}'s assets",
    "아직 연결된 기관이 없습니다.": "No institution is linked yet.",
    "은행·카드·통신 연결하기": "Link your bank, card and telecom",
    "순자산": "Net worth",
    "예금 합계": "Deposits",
    "대출 잔액": "Loans owed",
    "알아두면 좋은 것": "Worth knowing",
    "월별 수입": "Income by month",
    "월별 지출": "Spending by month",
    "다가오는 납부": "Upcoming payments",
    "{m}월 {d}일": "{m}/{d}",
    "{m}월": "M{m}",
    "이번 달 카드 사용 {amount}": "Card spending this month {amount}",
    "통신요금": "Telecom bills",
    "이번 달 소액결제 {month} · 최근 6개월 {half}": "Micro-payments this month {month} · last 6 months {half}",
    "자산 목록": "Assets",
    "매달 나가는 돈": "Paid every month",
    "결제 수단": "Paid from",
    "보통 금액": "Usually",
    "최근 6개월": "Last 6 months",
    "{n}개월": "{n} months",
    "기관": "Institution",
    "종류": "Kind",
    "이름": "Name",
    "번호": "Number",
    "잔액": "Balance",
    "지금 새로고침": "Refresh now",
    "{orgs} 연결이 끊겼습니다. 기관 연결에서 다시 연결하세요": "The link to {orgs} is broken. Link it again under Link institutions",
    # kinds, industries, states
    "예금": "Deposit",
    "대출": "Loan",
    "카드": "Card",
    "통신": "Telecom",
    "카드 청구": "Card bills",
    "은행": "Bank",
    "서명 대기": "Awaiting signature",
    "연결됨": "Linked",
    "거절됨": "Refused",
    "철회됨": "Withdrawn",
    "변경·갱신됨": "Changed or renewed",
    "만료됨": "Expired",
    # asset page
    "최근 거래 {n}건": "Latest {n} transactions",
    "일시": "When",
    "내용": "What",
    "분류": "Category",
    "금액": "Amount",
    "자산을 찾을 수 없습니다": "No such asset",
    "내 자산으로": "Back to my assets",
    # linking
    "내 금융·통신 정보 연결": "Link my financial and telecom data",
    "전송요구 변경": "Change a consent",
    "고른 기관에 한 번에 전송요구를 보내고, 삼각 통합인증 패스키로 한 번만 서명합니다.": (
        "One transmission request goes to every institution you choose, and you sign once with your Samgak passkey."
    ),
    "연결할 기관": "Institutions to link",
    "전송 목적": "Purpose",
    "정기적 전송에 동의합니다": "I agree to scheduled transmission",
    "정기 전송 주기": "Scheduled every",
    "매주": "week",
    "월 2회": "half month",
    "매월": "month",
    "거래 메모(적요) 전송에 동의합니다 (선택)": "I agree to sending transaction memos (optional)",
    "가맹점명·사업자번호 전송에 동의합니다 (선택)": "I agree to sending merchant names and numbers (optional)",
    "보유기간: 전송요구 종료일(1년)까지 · 종료일 전에 언제든 철회할 수 있고, 철회하면 받은 정보를 지웁니다.": (
        "Kept until the consent ends (one year) · withdraw any time before; withdrawing deletes what we received."
    ),
    "전송요구하고 서명하기": "Request and sign",
    "이 기관만 개별인증으로": "This one only, signing in at it",
    "연결할 기관을 하나 이상 고르세요": "Choose at least one institution to link",
    "정기 전송 주기는 1/w, 2/m, 1/m 중 하나입니다": "The schedule is one of 1/w, 2/m, 1/m",
    "전송 목적을 적어 주세요": "Write the purpose",
    "인증기관에 연결하지 못했습니다. 잠시 후 다시 시도하세요": "We could not reach the certificate authority. Try again in a moment",
    "연결 요청을 찾을 수 없습니다. 처음부터 다시 시작하세요": "No such linking request. Start again from the beginning",
    "이미 처리된 연결 요청입니다": "This linking request was already handled",
    "연결 결과": "Linking result",
    "정보 가져오기": "Data collected",
    "내 자산 보기": "See my assets",
    "{org} 연결 완료": "{org} linked",
    "{org} 연결 실패: {why}": "{org} not linked: {why}",
    "{org}: 자산 {n}건을 가져왔습니다": "{org}: {n} assets collected",
    "{org}: 연결이 만료되었거나 철회되었습니다. 다시 연결해 주세요": "{org}: the link expired or was withdrawn. Link it again",
    "{org}: 잠시 후 다시 시도해 주세요 ({code})": "{org}: try again in a moment ({code})",
    # consents
    "전송요구": "Consents",
    "상태": "State",
    "목적": "Purpose",
    "종료일": "Ends",
    "정기전송": "Scheduled",
    "안 함": "No",
    "변경": "Change",
    "갱신": "Renew",
    "철회": "Withdraw",
    "정보 이용내역": "Access log",
    "삼각 마이데이터가 어느 기관에서 언제, 어떤 목적으로 정보를 받았는지 보여 줍니다.": (
        "Which institution Samgak MyData received data from, when, and for what purpose."
    ),
    "구분": "Type",
    "자산": "Asset",
    "목록": "List",
    "결과": "Result",
    "성공": "OK",
    "바꿀 수 있는 전송요구를 찾을 수 없습니다": "No consent to change",
    "갱신할 수 있는 전송요구를 찾을 수 없습니다": "No consent to renew",
    "철회할 연결을 찾을 수 없습니다": "No link to withdraw",
    "{org}에 철회를 알리지 못했습니다. 잠시 후 다시 시도하세요": "We could not tell {org} about the withdrawal. Try again in a moment",
    "{org} 전송요구를 철회했습니다 ({when}). 받은 정보를 지웠습니다: 자산 {assets}건, 거래 {records}건.": (
        "Your consent for {org} is withdrawn ({when}). What we received is deleted: "
        "{assets} assets, {records} transactions."
    ),
    # insights
    "{name} 요금": "{name} bill",
    "이번 달 지출은 {current}으로 지난 5개월 평균({average})보다 많이 썼습니다": (
        "You spent {current} this month, more than the last five months' average ({average})"
    ),
    "이번 달 지출은 {current}으로 지난 5개월 평균({average})보다 적게 썼습니다": (
        "You spent {current} this month, less than the last five months' average ({average})"
    ),
    "최근 3개월 통신요금이 이전보다 10% 넘게 올랐습니다": "Telecom bills rose by more than 10% over the last 3 months",
    "최근 6개월 휴대폰 소액결제는 {amount}입니다": "Phone micro-payments over the last 6 months: {amount}",
    "KT 요금은 {name}({masked})에서 자동이체됩니다": "Your KT bill is auto-paid from {name} ({masked})",
    "로그인이 필요합니다": "Sign-in required",
}

_ = Catalogue(ENGLISH)
