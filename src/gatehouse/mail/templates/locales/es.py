"""Spanish wording of the Default set (formal address)."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "El enlace solo funciona una vez y durante un tiempo limitado."

LOCALE = Locale(
    code="es",
    greeting="Hola, {{ user.firstName }}:",
    wordings={
        "self-registration": Wording(
            subject="Complete su registro en {{ user.sp_name }}",
            before=(
                "Gracias por registrarse en {{ user.sp_name }}. Abra este enlace para confirmar "
                "su dirección de correo electrónico, establecer su contraseña y activar su "
                "cuenta:",
            ),
            button="Activar cuenta",
            after=(
                f"{ONCE} Si no se ha registrado, ignore este correo: no se activará ninguna "
                "cuenta.",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="Active su cuenta de {{ user.sp_name }}",
            before=(
                "Se ha creado una cuenta para usted. Abra este enlace para establecer su "
                "contraseña y activarla:",
            ),
            button="Activar cuenta",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} le ha invitado a {{ user.sp_name }}",
            before=(
                "{{ user.inviter_name }} le ha invitado a {{ user.sp_name }}. Abra este enlace "
                "para aceptar la invitación, establecer su contraseña y activar su cuenta:",
            ),
            button="Aceptar invitación",
            after=(f"{ONCE} Si no desea una cuenta, ignore este correo.",),
        ),
        "forgot-password": Wording(
            subject="Restablezca su contraseña de {{ user.sp_name }}",
            before=(
                "Hemos recibido una solicitud para restablecer su contraseña. Abra este enlace "
                "para elegir una nueva:",
            ),
            button="Restablecer contraseña",
            after=(
                f"{ONCE} Si no lo ha solicitado, ignore este correo: su contraseña no cambiará.",
            ),
        ),
        "locked-password": Wording(
            subject="Su contraseña de {{ user.sp_name }} está bloqueada",
            before=(
                "Su contraseña se ha bloqueado tras demasiados intentos fallidos de inicio de "
                "sesión. Abra este enlace para establecer una nueva contraseña y desbloquear su "
                "cuenta:",
            ),
            button="Establecer nueva contraseña",
            after=(
                f"{ONCE} Si esos intentos no fueron suyos, es posible que alguien esté "
                "intentando adivinar su contraseña; una nueva contraseña se lo impedirá.",
            ),
        ),
        "reset-password": Wording(
            subject="Establezca una nueva contraseña para {{ user.sp_name }}",
            before=(
                "Su administrador le pide que establezca una nueva contraseña. "
                "Abra este enlace para elegirla:",
            ),
            button="Establecer nueva contraseña",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="Alerta de seguridad de su cuenta de {{ user.sp_name }}",
            after=(
                "Si fue usted, no tiene que hacer nada. Si no, restablezca su contraseña de "
                "inmediato e informe a su administrador.",
            ),
        ),
        "deactivate-totp": Wording(
            subject="Desactive su autenticador de {{ user.sp_name }}",
            before=(
                "Ha solicitado desactivar la aplicación de autenticación (TOTP) de su cuenta. "
                "Introduzca este código para confirmarlo:",
            ),
            after=("Si no lo ha solicitado, ignore este correo e informe a su administrador.",),
        ),
        "email-otp": Wording(
            subject="Su código de inicio de sesión de {{ user.sp_name }}",
            before=("Use este código para completar el inicio de sesión:",),
            after=(
                "El código es válido durante 10 minutos. Si no ha intentado iniciar sesión, es "
                "posible que alguien conozca su contraseña: cámbiela de inmediato.",
            ),
        ),
        "test-email": Wording(
            subject="Correo de prueba de {{ user.sp_name }}",
            before=(
                "Este es un correo de prueba enviado por un administrador de {{ user.sp_name }}"
                " para comprobar la configuración del servidor de correo del inquilino.",
                "Ha salido por el mismo camino que todos los demás correos del inquilino.",
            ),
        ),
    },
    alerts={
        "password-changed": "La contraseña de su cuenta se cambió el {when}.",
        "email-changed": "La dirección de correo electrónico de su cuenta se cambió de {old} a "
        "{new} el {when}.",
    },
)
