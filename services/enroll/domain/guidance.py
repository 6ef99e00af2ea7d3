"""What the eligibility answers tell the person (EN-04), and what the mail-sent answer says
(EN-01, EN-02), in the seed's words (seed 003 STEP2, STEP5 and よくある質問 A3)."""

from __future__ import annotations

from contracts.enroll import EligibilityOutcome, EligibilityRestriction, SignupChannel

TRIES_EXHAUSTED = "tries_exhausted"
"""Not an outcome of the roster: the sign-up has used its tries (the roster cannot be searched)."""
UNION_MAINTENANCE = "union_maintenance"
"""Not an outcome of the roster either: the union's roster is under kencom maintenance (EN-10,
seed 003 A3 原因③); nothing was checked, and the try is not counted."""

_CAUSES = (
    "健康保険証（被保険者証）の入力内容に誤りがある可能性があります。入力内容をご確認ください。",
    "組合（健康保険組合など）から健康保険証（被保険者証）のデータが連携されていない可能性が"
    "あります。ご利用可能になるまで1〜2か月ほどお時間を頂く場合がございます。",
    "異動や再発行等により保険証情報が変更になった場合や、最近加入し取得したばかりの場合も"
    "照会できないことがあります。",
)

GUIDANCE: dict[str, tuple[str, ...]] = {
    EligibilityOutcome.ELIGIBLE: (
        "利用資格が確認できました。会員登録を完了しています。",
        "登録が完了しましたら、設定したメールアドレスとパスワードでログインできます。",
    ),
    EligibilityOutcome.NO_MATCH: _CAUSES,
    EligibilityOutcome.NOT_YET_LINKED: (
        "ご利用にあたっては、ご加入の組合・団体（健康保険組合、健診機関など）がkencomを"
        "導入している必要がございます。",
        "また新規にご加入された場合、ご利用可能になるまで2ヶ月ほどお時間を頂く場合がございます。",
    ),
    EligibilityOutcome.RESTRICTED: (
        "ご所属の組合（健康保険組合など）において利用制限があります。",
        "例：利用可能な被扶養者様に年齢制限がある、被保険者様のみご利用可能など。",
    ),
    EligibilityOutcome.ALREADY_REGISTERED: (
        "保険証情報の照会は、1名あたり1回までとなっております。以前に別のメールアドレスで"
        "会員登録を行い、その際に保険証情報を照会した可能性があります。",
        "一旦登録操作を中止し、以前設定済みのメールアドレスとパスワードでログインし直して下さい。",
        "以前設定したパスワードを忘れた方は、ログイン画面の「パスワードを忘れた方はこちら」から"
        "パスワードの再設定をお願いします。",
        "以前設定したメールアドレスを忘れた方は、「ログインIDを忘れた方はこちら」から、"
        "お客様サポートへお問い合わせ下さい。ご本人様確認を実施した上でお調べいたします。",
    ),
    UNION_MAINTENANCE: (
        "ご所属の健康保険組合様がkencomメンテナンスを実施しているため、現在、保険証情報を"
        "照会できません。",
        "まずはお客様サポートにお問い合わせ下さい。",
        "この照会は、保険証情報を照会できる回数に数えていません。",
    ),
    TRIES_EXHAUSTED: (
        "この仮登録で保険証情報を照会できる回数の上限に達しました。",
        "入力内容に誤りがないにもかかわらず照会できない場合は、お客様サポートへお問い合わせください。",
    ),
}

RESTRICTION_WORDS: dict[EligibilityRestriction, str] = {
    EligibilityRestriction.DEPENDANT_AGE_LIMIT: "ご所属の組合では、ご利用いただける被扶養者様に"
    "年齢制限があります。",
    EligibilityRestriction.INSURED_PERSONS_ONLY: "ご所属の組合では、被保険者様のみご利用"
    "いただけます。",
    EligibilityRestriction.OTHER: "ご所属の組合の定めにより、ご利用いただけません。",
}


def guidance(outcome: str, restriction: EligibilityRestriction | None = None) -> list[str]:
    """The lines shown for an answer; a restriction adds the one that applies."""
    lines = list(GUIDANCE[outcome])
    if restriction is not None:
        lines.insert(1, RESTRICTION_WORDS[restriction])
    return lines


SENT = {
    SignupChannel.APP: "仮登録メールを送信しました。24時間以内にメールに書かれたURLにアクセスし、"
    "「本登録」のお手続きを完了してください。",
    SignupChannel.PC: "仮登録メールを送信しました。1時間以内にメールに書かれたURLをクリックして"
    "登録を進めてください。",
}
NOT_ARRIVED = (
    "数分待ってもメールが届かない場合は、迷惑メールフォルダをご確認ください。"
    "受信拒否設定でkencom.jpが受信できるように設定し、メールアドレスが正しく入力されているか"
    "今一度ご確認の上、仮登録メールの再送信を押してください。"
    "※再送信する度に、過去に届いたメールに記載されているリンクは無効になります。"
)


def sent_message(channel: SignupChannel) -> str:
    """The mail-sent answer's words (seed 003), for the API and the page alike."""
    return SENT[channel] + NOT_ARRIVED
