"""Japanese wording of the Default set (polite business style)."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "このリンクは一度だけ、一定時間内のみ有効です。"

LOCALE = Locale(
    code="ja",
    greeting="{{ (user.lastName ~ ' ' ~ user.firstName) | trim }} 様",
    wordings={
        "self-registration": Wording(
            subject="{{ user.sp_name }} へのご登録を完了してください",
            before=(
                "{{ user.sp_name }} にご登録いただきありがとうございます。次のリンクを開いて、"
                "メールアドレスの確認、パスワードの設定、アカウントの有効化を行ってください。",
            ),
            button="アカウントを有効化",
            after=(
                f"{ONCE}ご登録に心当たりがない場合は、このメールを破棄してください。"
                "アカウントは有効化されません。",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="{{ user.sp_name }} のアカウントを有効化してください",
            before=(
                "お客様のアカウントが作成されました。次のリンクを開いてパスワードを設定し、"
                "アカウントを有効化してください。",
            ),
            button="アカウントを有効化",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} さんから {{ user.sp_name }} への招待が届いています",
            before=(
                "{{ user.inviter_name }} さんが {{ user.sp_name }} にお客様を招待しました。"
                "次のリンクを開いて招待を承諾し、パスワードを設定してアカウントを"
                "有効化してください。",
            ),
            button="招待を承諾",
            after=(f"{ONCE}アカウントが不要な場合は、このメールを破棄してください。",),
        ),
        "forgot-password": Wording(
            subject="{{ user.sp_name }} のパスワード再設定",
            before=(
                "パスワード再設定のリクエストを受け付けました。次のリンクを開いて、"
                "新しいパスワードを設定してください。",
            ),
            button="パスワードを再設定",
            after=(
                f"{ONCE}お心当たりのない場合は、このメールを破棄してください。"
                "パスワードは変更されません。",
            ),
        ),
        "locked-password": Wording(
            subject="{{ user.sp_name }} のパスワードがロックされました",
            before=(
                "ログインの失敗が続いたため、パスワードがロックされました。次のリンクを開いて"
                "新しいパスワードを設定し、アカウントのロックを解除してください。",
            ),
            button="新しいパスワードを設定",
            after=(
                f"{ONCE}ログインを試みた覚えがない場合、第三者がパスワードを推測しようとして"
                "いる可能性があります。新しいパスワードを設定すれば、不正なアクセスを防げます。",
            ),
        ),
        "reset-password": Wording(
            subject="{{ user.sp_name }} の新しいパスワードを設定してください",
            before=(
                "管理者から新しいパスワードの設定を求められています。次のリンクを開いて、新しいパスワードを設定してください。",
            ),
            button="新しいパスワードを設定",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="{{ user.sp_name }} アカウントに関するセキュリティ通知",
            after=(
                "お客様ご自身による操作であれば、対応は不要です。心当たりがない場合は、"
                "直ちにパスワードを再設定し、管理者にご連絡ください。",
            ),
        ),
        "deactivate-totp": Wording(
            subject="{{ user.sp_name }} の認証アプリの無効化",
            before=(
                "アカウントの認証アプリ (TOTP) の無効化がリクエストされました。"
                "確認のため、次のコードを入力してください。",
            ),
            after=("お心当たりのない場合は、このメールを破棄し、管理者にご連絡ください。",),
        ),
        "email-otp": Wording(
            subject="{{ user.sp_name }} のログイン確認コード",
            before=("ログインを完了するには、次のコードを入力してください。",),
            after=(
                "このコードの有効期間は 10 分です。ログインを試みた覚えがない場合、"
                "第三者にパスワードを知られている可能性があります。直ちにパスワードを"
                "変更してください。",
            ),
        ),
        "test-email": Wording(
            subject="{{ user.sp_name }} からのテストメール",
            before=(
                "これは、テナントのメールサーバー設定を確認するために "
                "{{ user.sp_name }} の管理者が送信したテストメールです。",
                "テナントの他のすべてのメールと同じ経路で送信されました。",
            ),
        ),
    },
    alerts={
        "password-changed": "{when} にアカウントのパスワードが変更されました。",
        "email-changed": "{when} にアカウントのメールアドレスが {old} から {new} に"
        "変更されました。",
    },
)
