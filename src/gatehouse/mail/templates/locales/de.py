"""German wording of the Default set (formal address)."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "Der Link funktioniert nur einmal und nur für begrenzte Zeit."

LOCALE = Locale(
    code="de",
    greeting="Hallo {{ user.firstName }},",
    wordings={
        "self-registration": Wording(
            subject="Schließen Sie Ihre Registrierung bei {{ user.sp_name }} ab",
            before=(
                "Vielen Dank für Ihre Registrierung bei {{ user.sp_name }}. Öffnen Sie diesen "
                "Link, um Ihre E-Mail-Adresse zu bestätigen, Ihr Passwort festzulegen und Ihr "
                "Konto zu aktivieren:",
            ),
            button="Konto aktivieren",
            after=(
                f"{ONCE} Wenn Sie sich nicht registriert haben, ignorieren Sie diese E-Mail: "
                "Es wird kein Konto aktiviert.",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="Aktivieren Sie Ihr Konto für {{ user.sp_name }}",
            before=(
                "Für Sie wurde ein Konto angelegt. Öffnen Sie diesen Link, um Ihr Passwort "
                "festzulegen und das Konto zu aktivieren:",
            ),
            button="Konto aktivieren",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} hat Sie zu {{ user.sp_name }} eingeladen",
            before=(
                "{{ user.inviter_name }} hat Sie zu {{ user.sp_name }} eingeladen. Öffnen Sie "
                "diesen Link, um die Einladung anzunehmen, Ihr Passwort festzulegen und Ihr "
                "Konto zu aktivieren:",
            ),
            button="Einladung annehmen",
            after=(f"{ONCE} Wenn Sie kein Konto möchten, ignorieren Sie diese E-Mail.",),
        ),
        "forgot-password": Wording(
            subject="Setzen Sie Ihr Passwort für {{ user.sp_name }} zurück",
            before=(
                "Wir haben eine Anfrage erhalten, Ihr Passwort zurückzusetzen. Öffnen Sie "
                "diesen Link, um ein neues zu wählen:",
            ),
            button="Passwort zurücksetzen",
            after=(
                f"{ONCE} Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: "
                "Ihr Passwort bleibt unverändert.",
            ),
        ),
        "locked-password": Wording(
            subject="Ihr Passwort für {{ user.sp_name }} ist gesperrt",
            before=(
                "Ihr Passwort wurde nach zu vielen fehlgeschlagenen Anmeldeversuchen gesperrt. "
                "Öffnen Sie diesen Link, um ein neues Passwort festzulegen und Ihr Konto zu "
                "entsperren:",
            ),
            button="Neues Passwort festlegen",
            after=(
                f"{ONCE} Wenn diese Anmeldeversuche nicht von Ihnen stammen, versucht "
                "möglicherweise jemand, Ihr Passwort zu erraten; ein neues Passwort hält ihn "
                "fern.",
            ),
        ),
        "reset-password": Wording(
            subject="Legen Sie ein neues Passwort für {{ user.sp_name }} fest",
            before=(
                "Ihr Administrator bittet Sie, ein neues Passwort festzulegen. "
                "Öffnen Sie diesen Link, um es zu wählen:",
            ),
            button="Neues Passwort festlegen",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="Sicherheitshinweis zu Ihrem Konto bei {{ user.sp_name }}",
            after=(
                "Wenn Sie das waren, ist nichts weiter zu tun. Wenn nicht, setzen Sie sofort "
                "Ihr Passwort zurück und informieren Sie Ihren Administrator.",
            ),
        ),
        "deactivate-totp": Wording(
            subject="Authenticator für {{ user.sp_name }} deaktivieren",
            before=(
                "Sie möchten die Authenticator-App (TOTP) Ihres Kontos deaktivieren. Geben Sie "
                "zur Bestätigung diesen Code ein:",
            ),
            after=(
                "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail und "
                "informieren Sie Ihren Administrator.",
            ),
        ),
        "email-otp": Wording(
            subject="Ihr Anmeldecode für {{ user.sp_name }}",
            before=("Verwenden Sie diesen Code, um Ihre Anmeldung abzuschließen:",),
            after=(
                "Der Code ist 10 Minuten gültig. Wenn Sie sich nicht anmelden wollten, kennt "
                "möglicherweise jemand Ihr Passwort: Ändern Sie es sofort.",
            ),
        ),
        "test-email": Wording(
            subject="Test-E-Mail von {{ user.sp_name }}",
            before=(
                "Dies ist eine Test-E-Mail, die eine Administratorin oder ein Administrator "
                "von {{ user.sp_name }} gesendet hat, um die Mailserver-Konfiguration des "
                "Mandanten zu prüfen.",
                "Sie hat denselben Weg genommen wie jede andere E-Mail des Mandanten.",
            ),
        ),
    },
    alerts={
        "password-changed": "Das Passwort Ihres Kontos wurde am {when} geändert.",
        "email-changed": "Die E-Mail-Adresse Ihres Kontos wurde am {when} von {old} in {new} "
        "geändert.",
    },
)
