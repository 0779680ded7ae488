"""Portuguese wording of the Default set (Brazilian usage)."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "O link funciona apenas uma vez e por tempo limitado."

LOCALE = Locale(
    code="pt",
    greeting="Olá, {{ user.firstName }},",
    wordings={
        "self-registration": Wording(
            subject="Conclua seu cadastro em {{ user.sp_name }}",
            before=(
                "Obrigado por se cadastrar em {{ user.sp_name }}. Abra este link para confirmar "
                "seu endereço de e-mail, definir sua senha e ativar sua conta:",
            ),
            button="Ativar conta",
            after=(
                f"{ONCE} Se você não se cadastrou, ignore este e-mail: nenhuma conta será ativada.",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="Ative sua conta de {{ user.sp_name }}",
            before=(
                "Uma conta foi criada para você. Abra este link para definir sua senha e ativá-la:",
            ),
            button="Ativar conta",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} convidou você para {{ user.sp_name }}",
            before=(
                "{{ user.inviter_name }} convidou você para {{ user.sp_name }}. Abra este link "
                "para aceitar o convite, definir sua senha e ativar sua conta:",
            ),
            button="Aceitar convite",
            after=(f"{ONCE} Se você não quiser uma conta, ignore este e-mail.",),
        ),
        "forgot-password": Wording(
            subject="Redefina sua senha de {{ user.sp_name }}",
            before=(
                "Recebemos uma solicitação para redefinir sua senha. Abra este link para "
                "escolher uma nova:",
            ),
            button="Redefinir senha",
            after=(
                f"{ONCE} Se você não fez essa solicitação, ignore este e-mail: sua senha "
                "continua a mesma.",
            ),
        ),
        "locked-password": Wording(
            subject="Sua senha de {{ user.sp_name }} está bloqueada",
            before=(
                "Sua senha foi bloqueada após muitas tentativas de login sem sucesso. Abra este "
                "link para definir uma nova senha e desbloquear sua conta:",
            ),
            button="Definir nova senha",
            after=(
                f"{ONCE} Se essas tentativas não foram suas, alguém pode estar tentando "
                "adivinhar sua senha; uma nova senha impede o acesso.",
            ),
        ),
        "reset-password": Wording(
            subject="Defina uma nova senha para {{ user.sp_name }}",
            before=(
                "Seu administrador pede que você defina uma nova senha. "
                "Abra este link para escolhê-la:",
            ),
            button="Definir nova senha",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="Alerta de segurança da sua conta de {{ user.sp_name }}",
            after=(
                "Se foi você, não é preciso fazer nada. Caso contrário, redefina sua senha "
                "imediatamente e avise seu administrador.",
            ),
        ),
        "deactivate-totp": Wording(
            subject="Desative seu autenticador de {{ user.sp_name }}",
            before=(
                "Você pediu para desativar o aplicativo autenticador (TOTP) da sua conta. "
                "Digite este código para confirmar:",
            ),
            after=(
                "Se você não fez essa solicitação, ignore este e-mail e avise seu administrador.",
            ),
        ),
        "email-otp": Wording(
            subject="Seu código de acesso a {{ user.sp_name }}",
            before=("Use este código para concluir seu login:",),
            after=(
                "O código é válido por 10 minutos. Se você não tentou entrar, alguém pode "
                "saber sua senha: altere-a imediatamente.",
            ),
        ),
        "test-email": Wording(
            subject="E-mail de teste de {{ user.sp_name }}",
            before=(
                "Este é um e-mail de teste enviado por um administrador de {{ user.sp_name }} "
                "para verificar a configuração do servidor de e-mail do tenant.",
                "Ele saiu pelo mesmo caminho que todos os outros e-mails do tenant.",
            ),
        ),
    },
    alerts={
        "password-changed": "A senha da sua conta foi alterada em {when}.",
        "email-changed": "O endereço de e-mail da sua conta foi alterado de {old} para {new} em "
        "{when}.",
    },
)
