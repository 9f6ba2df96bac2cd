//! Feeds arbitrary bytes to everything in `shared` that reads untrusted input: submissions (as the edge
//! reads them), emails, phones in every country, and form definitions. Beyond "never panics", it
//! checks the invariants the types promise, and that the widget's `field_errors` agrees with `Lead::parse`.

#![no_main]

use inlet_shared::{Country, Email, FormDefinition, Lead, LeadSubmission, Phone, field_errors};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn form() -> &'static FormDefinition {
    static FORM: OnceLock<FormDefinition> = OnceLock::new();
    FORM.get_or_init(|| {
        serde_json::from_str(include_str!("../seeds/form.json")).expect("the seed form parses")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(submission) = serde_json::from_slice::<LeadSubmission>(data) {
        let widget_view = field_errors(form(), &submission.fields);
        match Lead::parse(form(), &submission) {
            Ok(lead) => {
                assert!(widget_view.is_empty());
                assert!(lead.values().keys().all(|name| form().field(name).is_some()));
                if let Some(email) = lead.email() {
                    assert_eq!(Email::parse(email.as_str()).as_ref(), Ok(email));
                }
                if let Some(phone) = lead.phone() {
                    assert_eq!(
                        Phone::parse(phone.as_str(), Country::default()).as_ref(),
                        Ok(phone)
                    );
                }
                assert_eq!(lead.context(), &lead.context().sanitised());
            }
            Err(errors) => {
                assert!(!errors.is_empty());
                assert_eq!(widget_view, errors);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(email) = Email::parse(text) {
            assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
        }
        for country in Country::all() {
            if let Ok(phone) = Phone::parse(text, country) {
                assert!(phone.as_str().len() <= 16);
                assert_eq!(Phone::parse(phone.as_str(), country), Ok(phone.clone()));
            }
        }
        if let Ok(definition) = serde_json::from_str::<FormDefinition>(text) {
            let _ = definition.check();
        }
    }
});
