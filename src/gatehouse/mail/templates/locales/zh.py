"""Simplified Chinese wording of the Default set."""

# Full-width commas, colons and semicolons are correct in Chinese text.
# ruff: noqa: RUF001

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "此链接只能使用一次，且仅在有限时间内有效。"

LOCALE = Locale(
    code="zh",
    greeting="{{ user.firstName }}，您好：",
    wordings={
        "self-registration": Wording(
            subject="完成您在 {{ user.sp_name }} 的注册",
            before=(
                "感谢您注册 {{ user.sp_name }}。请打开以下链接，确认您的电子邮件地址、"
                "设置密码并激活账户：",
            ),
            button="激活账户",
            after=(f"{ONCE}如果您没有注册，请忽略此邮件，账户不会被激活。",),
        ),
        "on-behalf-registration": Wording(
            subject="激活您的 {{ user.sp_name }} 账户",
            before=("我们已为您创建了一个账户。请打开以下链接设置密码并激活账户：",),
            button="激活账户",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} 邀请您加入 {{ user.sp_name }}",
            before=(
                "{{ user.inviter_name }} 邀请您加入 {{ user.sp_name }}。请打开以下链接接受邀请、"
                "设置密码并激活账户：",
            ),
            button="接受邀请",
            after=(f"{ONCE}如果您不需要账户，请忽略此邮件。",),
        ),
        "forgot-password": Wording(
            subject="重置您的 {{ user.sp_name }} 密码",
            before=("我们收到了重置您密码的请求。请打开以下链接设置新密码：",),
            button="重置密码",
            after=(f"{ONCE}如果这不是您本人的请求，请忽略此邮件，您的密码不会改变。",),
        ),
        "locked-password": Wording(
            subject="您的 {{ user.sp_name }} 密码已被锁定",
            before=(
                "由于登录失败次数过多，您的密码已被锁定。请打开以下链接设置新密码并解锁账户：",
            ),
            button="设置新密码",
            after=(
                f"{ONCE}如果这些登录尝试不是您本人所为，可能有人正在尝试猜测您的密码；"
                "设置新密码即可阻止其访问。",
            ),
        ),
        "reset-password": Wording(
            subject="为 {{ user.sp_name }} 设置新密码",
            before=("管理员要求您设置新密码。请打开以下链接设置新密码：",),
            button="设置新密码",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="您的 {{ user.sp_name }} 账户安全提醒",
            after=("如果这是您本人的操作，则无需采取任何措施。否则，请立即重置密码并通知管理员。",),
        ),
        "deactivate-totp": Wording(
            subject="停用您的 {{ user.sp_name }} 身份验证器",
            before=("您请求停用账户的身份验证器应用 (TOTP)。请输入以下验证码进行确认：",),
            after=("如果这不是您本人的请求，请忽略此邮件并通知管理员。",),
        ),
        "email-otp": Wording(
            subject="您的 {{ user.sp_name }} 登录验证码",
            before=("请使用以下验证码完成登录：",),
            after=(
                "验证码在 10 分钟内有效。如果您没有尝试登录，可能有人已知道您的密码："
                "请立即修改密码。",
            ),
        ),
        "test-email": Wording(
            subject="来自 {{ user.sp_name }} 的测试邮件",
            before=(
                "这是 {{ user.sp_name }} 的管理员为检查租户的邮件服务器配置而发送的测试邮件。",
                "它与租户的所有其他邮件经由相同的路径发出。",
            ),
        ),
    },
    alerts={
        "password-changed": "您账户的密码已于 {when} 更改。",
        "email-changed": "您账户的电子邮件地址已于 {when} 从 {old} 更改为 {new}。",
    },
)
