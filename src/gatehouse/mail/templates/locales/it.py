"""Italian wording of the Default set (formal address)."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "Il link funziona una sola volta e per un tempo limitato."

LOCALE = Locale(
    code="it",
    greeting="Gentile {{ user.firstName }},",
    wordings={
        "self-registration": Wording(
            subject="Completi la registrazione a {{ user.sp_name }}",
            before=(
                "Grazie per essersi registrato a {{ user.sp_name }}. Apra questo link per "
                "confermare il suo indirizzo e-mail, impostare la password e attivare "
                "l'account:",
            ),
            button="Attiva account",
            after=(
                f"{ONCE} Se non si è registrato, ignori questa e-mail: nessun account verrà "
                "attivato.",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="Attivi il suo account {{ user.sp_name }}",
            before=(
                "È stato creato un account per lei. Apra questo link per impostare la password "
                "e attivarlo:",
            ),
            button="Attiva account",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} la invita a {{ user.sp_name }}",
            before=(
                "{{ user.inviter_name }} la invita a {{ user.sp_name }}. Apra questo link per "
                "accettare l'invito, impostare la password e attivare l'account:",
            ),
            button="Accetta invito",
            after=(f"{ONCE} Se non desidera un account, ignori questa e-mail.",),
        ),
        "forgot-password": Wording(
            subject="Reimposti la password di {{ user.sp_name }}",
            before=(
                "Abbiamo ricevuto una richiesta di reimpostazione della sua password. Apra "
                "questo link per sceglierne una nuova:",
            ),
            button="Reimposta password",
            after=(
                f"{ONCE} Se non ha fatto lei questa richiesta, ignori questa e-mail: la sua "
                "password resta invariata.",
            ),
        ),
        "locked-password": Wording(
            subject="La sua password di {{ user.sp_name }} è bloccata",
            before=(
                "La sua password è stata bloccata dopo troppi tentativi di accesso non "
                "riusciti. Apra questo link per impostare una nuova password e sbloccare "
                "l'account:",
            ),
            button="Imposta nuova password",
            after=(
                f"{ONCE} Se quei tentativi non erano suoi, qualcuno potrebbe cercare di "
                "indovinare la sua password; una nuova password lo terrà fuori.",
            ),
        ),
        "reset-password": Wording(
            subject="Imposti una nuova password per {{ user.sp_name }}",
            before=(
                "Il suo amministratore le chiede di impostare una nuova password. "
                "Apra questo link per sceglierla:",
            ),
            button="Imposta nuova password",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="Avviso di sicurezza per il suo account {{ user.sp_name }}",
            after=(
                "Se è stato lei, non deve fare nulla. Altrimenti reimposti subito la password e "
                "informi il suo amministratore.",
            ),
        ),
        "deactivate-totp": Wording(
            subject="Disattivi l'autenticatore di {{ user.sp_name }}",
            before=(
                "Ha chiesto di disattivare l'app di autenticazione (TOTP) del suo account. "
                "Inserisca questo codice per confermare:",
            ),
            after=(
                "Se non ha fatto lei questa richiesta, ignori questa e-mail e informi il suo "
                "amministratore.",
            ),
        ),
        "email-otp": Wording(
            subject="Il suo codice di accesso a {{ user.sp_name }}",
            before=("Usi questo codice per completare l'accesso:",),
            after=(
                "Il codice è valido per 10 minuti. Se non ha tentato di accedere, qualcuno "
                "potrebbe conoscere la sua password: la cambi subito.",
            ),
        ),
        "test-email": Wording(
            subject="E-mail di prova da {{ user.sp_name }}",
            before=(
                "Questa è un'e-mail di prova inviata da un amministratore di {{ user.sp_name }}"
                " per verificare la configurazione del server di posta del tenant.",
                "È partita attraverso lo stesso percorso di tutte le altre e-mail del tenant.",
            ),
        ),
    },
    alerts={
        "password-changed": "La password del suo account è stata modificata il {when}.",
        "email-changed": "L'indirizzo e-mail del suo account è stato cambiato da {old} a {new} "
        "il {when}.",
    },
)
