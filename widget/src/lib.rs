//! Inlet's lead form, rendered by Leptos inside the shadow root the loader (`www/widget.js`) made.
//!
//! The loader calls [`mount`] with the container and the options it read from its `<script>` tag. This
//! file holds the components; `state` holds the rules about when errors show (native tests) and
//! `shared` the rules about what an error is. `api` talks to the edge.

mod api;
pub mod state;

use api::{Api, SubmitOutcome};
use inlet_shared::{Field, FieldKind, FormDefinition, PageContext, UTM_KEYS};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::Deserialize;
use serde_json::Value;
use state::FormState;
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// What the loader passes, read from the `<script>` tag's `data-*` attributes.
#[derive(Debug, Deserialize)]
struct MountOptions {
    form: String,
    api: String,
    #[serde(default)]
    frame: bool,
    #[serde(default)]
    hidden: BTreeMap<String, String>,
}

/// Loads the form's definition and renders it into `container`. Failures show a sentence, never a
/// blank, and never throw into the host page.
#[wasm_bindgen]
pub fn mount(container: web_sys::HtmlElement, options: JsValue) {
    console_error_panic_hook::set_once();
    // Leptos' executor is normally set up by `mount_to`; this task runs before it. A second call (a
    // second form on the page) returns an error that means "already done".
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let options: MountOptions = match serde_wasm_bindgen::from_value(options) {
        Ok(options) => options,
        Err(_) => return container.set_text_content(Some(LOAD_FAILURE)),
    };
    spawn_local(async move {
        let api = Api::new(&options.api);
        match api.form(&options.form).await {
            Some(definition) => {
                container.set_attribute("aria-busy", "false").ok();
                let context = page_context(options.frame);
                let hidden = options.hidden;
                mount_to(container, move || view! { <LeadForm definition api context hidden /> }).forget();
            }
            None => {
                container.set_attribute("aria-busy", "false").ok();
                container.set_text_content(Some(LOAD_FAILURE));
            }
        }
    });
}

const LOAD_FAILURE: &str = "This form could not be loaded. Please try again later.";

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Idle,
    Sending,
    Sent,
    /// A sentence for the live region; the form stays.
    Problem(String),
}

#[component]
fn LeadForm(definition: FormDefinition, api: Api, context: PageContext, hidden: BTreeMap<String, String>) -> impl IntoView {
    let hidden = hidden.into_iter().filter(|(name, _)| {
        definition.field(name).is_some_and(|f| matches!(f.kind, FieldKind::Hidden { .. }))
    });
    let state = RwSignal::new(FormState::new(hidden.collect()));
    let status = RwSignal::new(Status::Idle);
    let form_ref = NodeRef::<html::Form>::new();
    let fields = definition.fields.clone();
    let title = definition.title.clone();
    let submit_label = definition.submit_label.clone();
    let success = definition.success_message.clone();
    let definition = StoredValue::new(definition);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if status.get_untracked() == Status::Sending {
            return;
        }
        let prepared = state.try_update(|s| definition.with_value(|d| s.prepare_submission(d, context.clone())));
        match prepared {
            Some(Ok(submission)) => {
                status.set(Status::Sending);
                let api = api.clone();
                let form_id = definition.with_value(|d| d.id.clone());
                spawn_local(async move {
                    match api.submit(&form_id, &submission).await {
                        SubmitOutcome::Created => status.set(Status::Sent),
                        SubmitOutcome::Invalid(errors) => {
                            let count = errors.len();
                            state.update(|s| s.set_server_errors(errors));
                            status.set(Status::Problem(correction_message(count)));
                            focus_first_invalid(form_ref);
                        }
                        SubmitOutcome::Refused(message) => status.set(Status::Problem(message)),
                        SubmitOutcome::Unreachable => status.set(Status::Problem(api::GENERIC_FAILURE.to_owned())),
                    }
                });
            }
            Some(Err(errors)) => {
                status.set(Status::Problem(correction_message(errors.len())));
                focus_first_invalid(form_ref);
            }
            None => {}
        }
    };

    let announcement = move || match status.get() {
        Status::Sent => success.clone(),
        Status::Problem(message) => message,
        Status::Idle | Status::Sending => String::new(),
    };
    let sent = move || status.get() == Status::Sent;

    view! {
        <div class="inlet-card">
            <h2 class="inlet-title">{title}</h2>
            <form node_ref=form_ref novalidate on:submit=on_submit hidden=sent aria-label="Lead form">
                {fields.into_iter().map(|field| view! { <FieldView field state definition /> }).collect_view()}
                <button type="submit" class="inlet-submit" disabled=move || status.get() == Status::Sending>
                    {move || if status.get() == Status::Sending { "Sending…".to_owned() } else { submit_label.clone() }}
                </button>
            </form>
            <p role="status" aria-live="polite" class="inlet-status" class:inlet-success=sent>{announcement}</p>
        </div>
    }
}

fn correction_message(count: usize) -> String {
    if count == 1 {
        "Please correct the highlighted field.".to_owned()
    } else {
        format!("Please correct the {count} highlighted fields.")
    }
}

/// After the error messages render, moves focus to the first field that has one, so keyboard and
/// screen-reader users land where the work is.
fn focus_first_invalid(form_ref: NodeRef<html::Form>) {
    request_animation_frame(move || {
        let first = form_ref
            .get_untracked()
            .and_then(|form| form.query_selector("[aria-invalid=\"true\"]").ok().flatten())
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(el) = first {
            el.focus().ok();
        }
    });
}

#[component]
fn FieldView(field: Field, state: RwSignal<FormState>, definition: StoredValue<FormDefinition>) -> impl IntoView {
    let Field { name, label, kind, required, help } = field;
    let id = format!("inlet-{name}");
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let error = {
        let name = name.clone();
        Memo::new(move |_| state.with(|s| definition.with_value(|d| s.visible_error(d, &name))))
    };
    let invalid = move || if error.get().is_some() { "true" } else { "false" };
    let described_by = {
        let (help_id, error_id, has_help) = (help_id.clone(), error_id.clone(), help.is_some());
        move || {
            let ids: Vec<&str> = [has_help.then_some(help_id.as_str()), error.get().map(|_| error_id.as_str())]
                .into_iter()
                .flatten()
                .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let help_view = help.map(|text| view! { <p class="inlet-help" id=help_id>{text}</p> });
    let error_view = view! { <p class="inlet-error" id=error_id>{move || error.get().map(|e| e.message)}</p> };
    let marker = required.then(|| view! { <span class="inlet-required" aria-hidden="true">" *"</span> });

    let set_text = {
        let name = name.clone();
        move |value: String| state.update(|s| s.set(&name, Value::String(value)))
    };
    let touch = {
        let name = name.clone();
        move |_| state.update(|s| s.touch(&name))
    };
    let text = {
        let name = name.clone();
        move || state.with(|s| s.text(&name))
    };

    match kind {
        FieldKind::Hidden { .. } => ().into_any(),
        FieldKind::Checkbox | FieldKind::Consent { .. } => {
            let wording = match &kind {
                FieldKind::Consent { text, .. } => text.clone(),
                _ => label.clone(),
            };
            let checked = {
                let name = name.clone();
                move || state.with(|s| s.checked(&name))
            };
            let set_checked = move |value: bool| {
                state.update(|s| {
                    s.set(&name, Value::Bool(value));
                    s.touch(&name);
                })
            };
            view! {
                <div class="inlet-field inlet-check">
                    <input type="checkbox" id=id.clone() name=id.clone() required=required
                        aria-invalid=invalid aria-describedby=described_by prop:checked=checked
                        on:change:target=move |ev| set_checked(ev.target().checked()) />
                    <label for=id>{wording}{marker}</label>
                    {help_view}
                    {error_view}
                </div>
            }
            .into_any()
        }
        FieldKind::MultiLine { max_length } => view! {
            <div class="inlet-field">
                <label for=id.clone()>{label}{marker}</label>
                {help_view}
                <textarea id=id.clone() name=id rows="4" maxlength=max_length.to_string() required=required
                    aria-invalid=invalid aria-describedby=described_by prop:value=text
                    on:input:target=move |ev| set_text(ev.target().value()) on:blur=touch></textarea>
                {error_view}
            </div>
        }
        .into_any(),
        FieldKind::Select { options } => view! {
            <div class="inlet-field">
                <label for=id.clone()>{label}{marker}</label>
                {help_view}
                <select id=id.clone() name=id required=required aria-invalid=invalid aria-describedby=described_by
                    prop:value=text on:change:target=move |ev| set_text(ev.target().value()) on:blur=touch>
                    <option value="">"Choose…"</option>
                    {options.into_iter().map(|o| { let value = o.clone(); view! { <option value=value>{o}</option> } }).collect_view()}
                </select>
                {error_view}
            </div>
        }
        .into_any(),
        FieldKind::Text { .. } | FieldKind::Email | FieldKind::Phone => {
            let (input_type, autocomplete) = match (&kind, name.as_str()) {
                (FieldKind::Email, _) => ("email", Some("email")),
                (FieldKind::Phone, _) => ("tel", Some("tel")),
                (_, "name") => ("text", Some("name")),
                _ => ("text", None),
            };
            view! {
                <div class="inlet-field">
                    <label for=id.clone()>{label}{marker}</label>
                    {help_view}
                    <input type=input_type id=id.clone() name=id autocomplete=autocomplete required=required
                        aria-invalid=invalid aria-describedby=described_by prop:value=text
                        on:input:target=move |ev| set_text(ev.target().value()) on:blur=touch />
                    {error_view}
                </div>
            }
            .into_any()
        }
    }
}

/// Where the visitor is. In frame mode the page is the one embedding the iframe, which the browser
/// gives us only as the referrer.
fn page_context(frame: bool) -> PageContext {
    let Some(window) = web_sys::window() else { return PageContext::default() };
    let location = window.location();
    let referrer = window.document().map(|d| d.referrer()).filter(|r| !r.is_empty());
    let utm = location
        .search()
        .ok()
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .map(|params| {
            UTM_KEYS.iter().filter_map(|key| Some(((*key).to_owned(), params.get(key)?))).collect()
        })
        .unwrap_or_default();
    if frame {
        PageContext { page_url: referrer, referrer: None, utm }
    } else {
        PageContext { page_url: location.href().ok(), referrer, utm }
    }
}
