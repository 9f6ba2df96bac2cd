//! The sentences Inlet shows visitors, in each supported language. Field labels and the success
//! message come from the business's form definition; everything else a visitor reads is here.
//!
//! English is the default and the language of the API's own error messages.

use crate::{ErrorCode, FieldKind, decimal};

/// A supported language. Invariant: every sentence below exists in every locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    Es,
    Fr,
    De,
}

impl Locale {
    /// Picks the best match for a BCP 47 tag such as `es-MX` or `fr`; English when none fits.
    pub fn negotiate(tag: &str) -> Locale {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        match primary.as_str() {
            "es" => Locale::Es,
            "fr" => Locale::Fr,
            "de" => Locale::De,
            _ => Locale::En,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::Fr => "fr",
            Locale::De => "de",
        }
    }

    /// The sentence for a field error, given the field's kind (a required email reads differently
    /// from a required name) and, for `too_long`, the limit.
    pub fn field_message(
        self,
        code: ErrorCode,
        kind: Option<&FieldKind>,
        limit: Option<usize>,
    ) -> String {
        use ErrorCode as C;
        let pick = |en: &str, es: &str, fr: &str, de: &str| {
            match self {
                Locale::En => en,
                Locale::Es => es,
                Locale::Fr => fr,
                Locale::De => de,
            }
            .to_owned()
        };
        match (code, kind) {
            (C::FieldRequired, Some(FieldKind::Email)) => pick(
                "Please enter your email address.",
                "Introduce tu dirección de correo electrónico.",
                "Veuillez saisir votre adresse e-mail.",
                "Bitte geben Sie Ihre E-Mail-Adresse ein.",
            ),
            (C::FieldRequired, Some(FieldKind::Phone)) => pick(
                "Please enter your phone number.",
                "Introduce tu número de teléfono.",
                "Veuillez saisir votre numéro de téléphone.",
                "Bitte geben Sie Ihre Telefonnummer ein.",
            ),
            (C::FieldRequired, Some(FieldKind::Select { .. })) => pick(
                "Please choose an option.",
                "Elige una opción.",
                "Veuillez choisir une option.",
                "Bitte wählen Sie eine Option.",
            ),
            (C::FieldRequired, Some(FieldKind::Checkbox)) => pick(
                "Please tick this box.",
                "Marca esta casilla.",
                "Veuillez cocher cette case.",
                "Bitte kreuzen Sie dieses Feld an.",
            ),
            (C::FieldRequired, _) => pick(
                "Please fill in this field.",
                "Rellena este campo, por favor.",
                "Veuillez remplir ce champ.",
                "Bitte füllen Sie dieses Feld aus.",
            ),
            (C::ConsentRequired, _) => pick(
                "Please tick this box to agree before sending.",
                "Marca esta casilla para aceptar antes de enviar.",
                "Veuillez cocher cette case pour donner votre accord avant l'envoi.",
                "Bitte kreuzen Sie dieses Feld an, um vor dem Senden zuzustimmen.",
            ),
            (C::EmailInvalid, _) => pick(
                "Please enter a valid email address, like name@example.com.",
                "Introduce una dirección de correo válida, como nombre@ejemplo.com.",
                "Veuillez saisir une adresse e-mail valide, comme nom@exemple.com.",
                "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de.",
            ),
            (C::PhoneInvalid, _) => pick(
                "Please enter a valid phone number, including the area code.",
                "Introduce un número de teléfono válido, con el prefijo.",
                "Veuillez saisir un numéro de téléphone valide, avec l'indicatif.",
                "Bitte geben Sie eine gültige Telefonnummer mit Vorwahl ein.",
            ),
            (C::TooLong, _) => match limit {
                Some(n) => fill(
                    &pick(
                        "Please shorten this to at most {n} characters.",
                        "Acórtalo a {n} caracteres como máximo.",
                        "Veuillez raccourcir ce texte à {n} caractères au maximum.",
                        "Bitte kürzen Sie dies auf höchstens {n} Zeichen.",
                    ),
                    n as u64,
                ),
                None => pick(
                    "Please shorten this.",
                    "Acórtalo, por favor.",
                    "Veuillez raccourcir ce texte.",
                    "Bitte kürzen Sie dies.",
                ),
            },
            (C::InvalidOption, _) => pick(
                "Please choose one of the options.",
                "Elige una de las opciones.",
                "Veuillez choisir l'une des options.",
                "Bitte wählen Sie eine der Optionen.",
            ),
            (C::InvalidType, _) => pick(
                "This value has the wrong type.",
                "Este valor tiene un tipo incorrecto.",
                "Cette valeur n'a pas le bon type.",
                "Dieser Wert hat den falschen Typ.",
            ),
            (C::InvalidCharacters, _) => pick(
                "Please remove the special characters from this field.",
                "Quita los caracteres especiales de este campo.",
                "Veuillez retirer les caractères spéciaux de ce champ.",
                "Bitte entfernen Sie die Sonderzeichen aus diesem Feld.",
            ),
            (C::UnknownField, _) => pick(
                "This form has no such field.",
                "Este formulario no tiene ese campo.",
                "Ce formulaire n'a pas ce champ.",
                "Dieses Formular hat kein solches Feld.",
            ),
        }
    }

    /// The widget's own words, in this locale.
    pub fn text(self) -> &'static UiText {
        match self {
            Locale::En => &EN,
            Locale::Es => &ES,
            Locale::Fr => &FR,
            Locale::De => &DE,
        }
    }

    /// "Please correct the 2 highlighted fields."
    pub fn correction(self, count: usize) -> String {
        let text = self.text();
        if count == 1 { text.correct_one.to_owned() } else { fill(text.correct_many, count as u64) }
    }

    /// "… automatically in 30 seconds."
    pub fn rate_limited(self, seconds: u32) -> String {
        fill(self.text().rate_limited, seconds.into())
    }
}

/// `template` with its `{n}` replaced by `n`. Split at a `char` rather than replaced as a `&str`:
/// a string pattern brings a substring searcher into the widget's wasm.
fn fill(template: &str, n: u64) -> String {
    match template.split_once('{') {
        Some((before, after)) => {
            [before, &decimal(n), after.strip_prefix("n}").unwrap_or(after)].concat()
        }
        None => template.to_owned(),
    }
}

/// The widget's fixed sentences. `{n}` marks where a number goes.
#[derive(Debug)]
pub struct UiText {
    pub choose: &'static str,
    pub sending: &'static str,
    pub correct_one: &'static str,
    pub correct_many: &'static str,
    pub load_failure: &'static str,
    pub failure: &'static str,
    pub retrying: &'static str,
    pub saved: &'static str,
    pub rate_limited: &'static str,
    pub human_check: &'static str,
    pub honeypot_label: &'static str,
}

static EN: UiText = UiText {
    choose: "Choose…",
    sending: "Sending…",
    correct_one: "Please correct the highlighted field.",
    correct_many: "Please correct the {n} highlighted fields.",
    load_failure: "This form could not be loaded. Please try again later.",
    failure: "Sorry, we could not send your message. Please try again in a moment.",
    retrying: "We could not reach the server yet. Trying again…",
    saved: "Your message is saved on this device and will be sent automatically as soon as the connection returns.",
    rate_limited: "Many messages were just sent from here. Yours will be sent automatically in {n} seconds.",
    human_check: "Please complete the check that you are not a robot, then send again.",
    honeypot_label: "Leave this field empty",
};

static ES: UiText = UiText {
    choose: "Elige…",
    sending: "Enviando…",
    correct_one: "Corrige el campo marcado.",
    correct_many: "Corrige los {n} campos marcados.",
    load_failure: "No se ha podido cargar este formulario. Inténtalo de nuevo más tarde.",
    failure: "Lo sentimos, no hemos podido enviar tu mensaje. Inténtalo de nuevo en un momento.",
    retrying: "Aún no hemos podido conectar con el servidor. Reintentando…",
    saved: "Tu mensaje está guardado en este dispositivo y se enviará automáticamente en cuanto vuelva la conexión.",
    rate_limited: "Se acaban de enviar muchos mensajes desde aquí. El tuyo se enviará automáticamente dentro de {n} segundos.",
    human_check: "Completa la comprobación de que no eres un robot y vuelve a enviar.",
    honeypot_label: "Deja este campo vacío",
};

static FR: UiText = UiText {
    choose: "Choisir…",
    sending: "Envoi…",
    correct_one: "Veuillez corriger le champ signalé.",
    correct_many: "Veuillez corriger les {n} champs signalés.",
    load_failure: "Ce formulaire n'a pas pu être chargé. Veuillez réessayer plus tard.",
    failure: "Désolé, votre message n'a pas pu être envoyé. Veuillez réessayer dans un instant.",
    retrying: "Le serveur est injoignable pour l'instant. Nouvel essai…",
    saved: "Votre message est enregistré sur cet appareil et sera envoyé automatiquement dès le retour de la connexion.",
    rate_limited: "Beaucoup de messages viennent d'être envoyés d'ici. Le vôtre partira automatiquement dans {n} secondes.",
    human_check: "Veuillez confirmer que vous n'êtes pas un robot, puis renvoyer.",
    honeypot_label: "Laissez ce champ vide",
};

static DE: UiText = UiText {
    choose: "Bitte wählen…",
    sending: "Wird gesendet…",
    correct_one: "Bitte korrigieren Sie das markierte Feld.",
    correct_many: "Bitte korrigieren Sie die {n} markierten Felder.",
    load_failure: "Dieses Formular konnte nicht geladen werden. Bitte versuchen Sie es später erneut.",
    failure: "Ihre Nachricht konnte leider nicht gesendet werden. Bitte versuchen Sie es gleich noch einmal.",
    retrying: "Der Server ist noch nicht erreichbar. Neuer Versuch…",
    saved: "Ihre Nachricht ist auf diesem Gerät gespeichert und wird automatisch gesendet, sobald die Verbindung zurück ist.",
    rate_limited: "Von hier wurden gerade viele Nachrichten gesendet. Ihre wird in {n} Sekunden automatisch gesendet.",
    human_check: "Bitte bestätigen Sie, dass Sie kein Roboter sind, und senden Sie erneut.",
    honeypot_label: "Dieses Feld leer lassen",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_from_language_tags() {
        for (tag, expected) in [
            ("es-MX", Locale::Es),
            ("fr", Locale::Fr),
            ("de_AT", Locale::De),
            ("EN-gb", Locale::En),
            ("pt-BR", Locale::En),
            ("", Locale::En),
        ] {
            assert_eq!(Locale::negotiate(tag), expected, "{tag}");
        }
    }

    #[test]
    fn every_locale_has_every_sentence_and_numbers_go_in() {
        let codes = [
            ErrorCode::FieldRequired,
            ErrorCode::EmailInvalid,
            ErrorCode::PhoneInvalid,
            ErrorCode::TooLong,
            ErrorCode::InvalidOption,
            ErrorCode::ConsentRequired,
            ErrorCode::InvalidType,
            ErrorCode::InvalidCharacters,
            ErrorCode::UnknownField,
        ];
        for locale in [Locale::En, Locale::Es, Locale::Fr, Locale::De] {
            for code in codes {
                let message = locale.field_message(code, None, Some(42));
                assert!(message.ends_with('.'), "{locale:?} {code}: {message}");
            }
            assert!(locale.field_message(ErrorCode::TooLong, None, Some(42)).contains("42"));
            assert!(locale.correction(3).contains('3') && !locale.correction(3).contains('{'));
            assert!(
                locale.rate_limited(30).contains("30") && !locale.rate_limited(30).contains('{')
            );
            let text = locale.text();
            for sentence in [
                text.choose,
                text.sending,
                text.load_failure,
                text.failure,
                text.retrying,
                text.saved,
                text.human_check,
            ] {
                assert!(!sentence.is_empty() && !sentence.contains("{n}"));
            }
        }
        assert_ne!(Locale::Es.text().saved, Locale::En.text().saved);
        assert_eq!(Locale::En.correction(12), "Please correct the 12 highlighted fields.");
        assert_eq!(Locale::En.correction(1), "Please correct the highlighted field.");
        assert_eq!(
            Locale::En.rate_limited(30),
            "Many messages were just sent from here. Yours will be sent automatically in 30 seconds."
        );
    }
}
