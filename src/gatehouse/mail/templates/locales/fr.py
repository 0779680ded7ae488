"""French wording of the Default set (formal address)."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "Ce lien ne fonctionne qu'une seule fois et pendant une durée limitée."

LOCALE = Locale(
    code="fr",
    greeting="Bonjour {{ user.firstName }},",
    wordings={
        "self-registration": Wording(
            subject="Finalisez votre inscription à {{ user.sp_name }}",
            before=(
                "Merci de votre inscription à {{ user.sp_name }}. Ouvrez ce lien pour confirmer "
                "votre adresse e-mail, définir votre mot de passe et activer votre compte :",
            ),
            button="Activer le compte",
            after=(
                f"{ONCE} Si vous ne vous êtes pas inscrit, ignorez cet e-mail : aucun compte "
                "ne sera activé.",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="Activez votre compte {{ user.sp_name }}",
            before=(
                "Un compte a été créé pour vous. Ouvrez ce lien pour définir votre mot de passe "
                "et l'activer :",
            ),
            button="Activer le compte",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} vous invite à rejoindre {{ user.sp_name }}",
            before=(
                "{{ user.inviter_name }} vous invite à rejoindre {{ user.sp_name }}. Ouvrez ce "
                "lien pour accepter l'invitation, définir votre mot de passe et activer votre "
                "compte :",
            ),
            button="Accepter l'invitation",
            after=(f"{ONCE} Si vous ne souhaitez pas de compte, ignorez cet e-mail.",),
        ),
        "forgot-password": Wording(
            subject="Réinitialisez votre mot de passe {{ user.sp_name }}",
            before=(
                "Nous avons reçu une demande de réinitialisation de votre mot de passe. Ouvrez "
                "ce lien pour en choisir un nouveau :",
            ),
            button="Réinitialiser le mot de passe",
            after=(
                f"{ONCE} Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail : "
                "votre mot de passe reste inchangé.",
            ),
        ),
        "locked-password": Wording(
            subject="Votre mot de passe {{ user.sp_name }} est verrouillé",
            before=(
                "Votre mot de passe a été verrouillé après trop de tentatives de connexion "
                "infructueuses. Ouvrez ce lien pour définir un nouveau mot de passe et "
                "déverrouiller votre compte :",
            ),
            button="Définir un nouveau mot de passe",
            after=(
                f"{ONCE} Si ces tentatives ne venaient pas de vous, quelqu'un essaie peut-être "
                "de deviner votre mot de passe ; un nouveau mot de passe l'en empêchera.",
            ),
        ),
        "reset-password": Wording(
            subject="Définissez un nouveau mot de passe pour {{ user.sp_name }}",
            before=(
                "Votre administrateur vous demande de définir un nouveau mot de passe. "
                "Ouvrez ce lien pour le choisir :",
            ),
            button="Définir un nouveau mot de passe",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="Alerte de sécurité concernant votre compte {{ user.sp_name }}",
            after=(
                "Si c'était vous, vous n'avez rien à faire. Sinon, réinitialisez immédiatement "
                "votre mot de passe et prévenez votre administrateur.",
            ),
        ),
        "deactivate-totp": Wording(
            subject="Désactivation de votre authentificateur {{ user.sp_name }}",
            before=(
                "Vous avez demandé la désactivation de l'application d'authentification (TOTP) "
                "de votre compte. Saisissez ce code pour confirmer :",
            ),
            after=(
                "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail et "
                "prévenez votre administrateur.",
            ),
        ),
        "email-otp": Wording(
            subject="Votre code de connexion {{ user.sp_name }}",
            before=("Utilisez ce code pour terminer votre connexion :",),
            after=(
                "Ce code est valable 10 minutes. Si vous n'avez pas essayé de vous connecter, "
                "quelqu'un connaît peut-être votre mot de passe : changez-le immédiatement.",
            ),
        ),
        "test-email": Wording(
            subject="E-mail de test de {{ user.sp_name }}",
            before=(
                "Ceci est un e-mail de test envoyé par un administrateur de {{ user.sp_name }} "
                "pour vérifier la configuration du serveur de messagerie du locataire.",
                "Il est parti par le même chemin que tous les autres e-mails du locataire.",
            ),
        ),
    },
    alerts={
        "password-changed": "Le mot de passe de votre compte a été modifié le {when}.",
        "email-changed": "L'adresse e-mail de votre compte a été remplacée par {new} (au lieu "
        "de {old}) le {when}.",
    },
)
