//! Inlet's lead form, rendered by Leptos inside the shadow root the loader (`widget/loader/widget.js`)
//! made.
//!
//! The loader calls [`mount`] with the container and the options it read from its `<script>` tag. This
//! file holds the components and the delivery loop; `state` holds the rules about when errors show,
//! the outbox queue and the retry schedule (native tests), `outbox` keeps pending submissions in the
//! browser, `api` talks to the edge, and `shared` says what an error is and how to say it.

mod api;
mod js_value;
mod json;
mod outbox;
pub mod state;

use api::{Api, SubmitOutcome};
use inlet_shared::{
    Field, FieldKind, FormDefinition, Locale, PageContext, RawValue, SmallMap, UTM_KEYS, decimal,
};
use leptos::either::EitherOf3;
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use outbox::Outbox;
use serde::Deserialize;
use state::{FormState, Pending};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// What the loader passes: what it read from the `<script>` tag's `data-*` attributes and the page,
/// and the form's definition, which it asked the edge for while the wasm was on its way.
#[derive(Debug, Deserialize)]
struct MountOptions {
    api: String,
    #[serde(default)]
    frame: bool,
    #[serde(default)]
    hidden: SmallMap<String>,
    /// `data-locale`, else the page's `lang`.
    #[serde(default)]
    locale: String,
    /// The edge's answer to `GET /v1/forms/{form}`, as text; absent if it could not be had.
    #[serde(default)]
    definition: Option<String>,
    /// The token served with it, which lets the edge time how long the visitor took.
    #[serde(default)]
    token: Option<String>,
}

/// Renders the form the loader fetched into `container`. Failures show a sentence, never a blank, and
/// never throw into the host page.
#[wasm_bindgen]
pub fn mount(container: web_sys::HtmlElement, options: JsValue) {
    // The browser build has no panic messages: a panic traps at once (`xtask/src/build.rs`), this
    // form stops, and the loader's `catch` shows the sentence for a form that could not be loaded.
    let Some(options) = js_value::from_value::<MountOptions>(options) else {
        return container.set_text_content(Some(Locale::En.text().load_failure));
    };
    let locale = Locale::negotiate(&options.locale);
    container.set_attribute("aria-busy", "false").ok();
    let definition = options.definition.as_deref().and_then(api::read_json_str::<FormDefinition>);
    let Some(definition) = definition else {
        return container.set_text_content(Some(locale.text().load_failure));
    };
    let props = Setup {
        api: Api::new(&options.api),
        outbox: Outbox::new(&options.api, &definition.id),
        context: page_context(options.frame),
        hidden: options.hidden,
        locale,
        token: options.token,
        token_received: decimal(now_ms()),
    };
    mount_to(container, move || view! { <LeadForm definition setup=props /> }).forget();
}

/// Everything the form needs besides its definition.
#[derive(Debug, Clone)]
struct Setup {
    api: Api,
    outbox: Outbox,
    context: PageContext,
    hidden: SmallMap<String>,
    locale: Locale,
    /// Served with the definition; sent back so the edge can time the visitor.
    token: Option<String>,
    /// When the token arrived (`now_ms`, as digits).
    token_received: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    Idle,
    Sending,
    /// Sending again after a failure; the sentence says why.
    Retrying(String),
    /// Given up for now; kept in the outbox for later.
    Saved(String),
    Sent,
    /// A sentence for the live region; the form stays.
    Problem(String),
}

impl Status {
    fn is_busy(&self) -> bool {
        matches!(self, Status::Sending | Status::Retrying(_))
    }
}

/// The reactive handles the delivery loop updates.
#[derive(Clone, Copy)]
struct Ui {
    state: RwSignal<FormState>,
    status: RwSignal<Status>,
    form_ref: NodeRef<html::Form>,
    locale: Locale,
}

/// Failures (other than being rate limited) before the widget stops retrying for now.
const MAX_FAILURES: u32 = 4;
/// After giving up for now, the next try while the page stays open.
const LATER_MS: u32 = 30_000;

/// Sends the outbox, oldest first, until it is empty or the network keeps failing. Every attempt of a
/// submission carries its idempotency key, so retries cannot make a second lead.
async fn flush(api: Api, outbox: Outbox, form_id: String, ui: Ui) {
    if !outbox.begin_flush() {
        return;
    }
    let text = ui.locale.text();
    let mut failures = 0;
    while let Some(mut pending) = outbox.load().into_iter().next() {
        if !matches!(ui.status.get_untracked(), Status::Retrying(_)) {
            ui.status.set(Status::Sending);
        }
        // An old token no longer counts as a person's at the edge: renew it first. If the edge cannot
        // be reached for that, this attempt has failed like any other (sending the old token on a
        // connection that just came back would file the lead as spam); if it answers without a
        // token, the held one goes as it is.
        let renewal = if state::token_needs_renewal(pending.token_received.as_deref(), now_ms()) {
            api.renew_token(&form_id, pending.submission.token.as_deref()).await
        } else {
            Ok(None)
        };
        let outcome = match renewal {
            Err(()) => SubmitOutcome::Retry { retry_after: None },
            Ok(renewed) => {
                if let Some(token) = renewed {
                    pending.submission.token = Some(token);
                    pending.token_received = Some(decimal(now_ms()));
                    outbox.replace(&pending);
                }
                api.submit(&form_id, &pending.key, &pending.submission).await
            }
        };
        match outcome {
            SubmitOutcome::Created => {
                outbox.remove(&pending.key);
                failures = 0;
                ui.status.set(Status::Sent);
            }
            SubmitOutcome::Invalid(errors) => {
                outbox.remove(&pending.key);
                let count = errors.len();
                ui.state.update(|s| s.set_server_errors(errors));
                ui.status.set(Status::Problem(ui.locale.correction(count)));
                focus_first_invalid(ui.form_ref);
                break;
            }
            SubmitOutcome::Refused(code) => {
                outbox.remove(&pending.key);
                let sentence =
                    if code == "turnstile_failed" { text.human_check } else { text.failure };
                ui.status.set(Status::Problem(sentence.to_owned()));
                break;
            }
            SubmitOutcome::Retry { retry_after } => {
                // Being told to wait is not a failure: wait as long as asked, however often.
                let told_to_wait = retry_after.is_some_and(|s| s >= 2);
                if !told_to_wait {
                    failures += 1;
                }
                if failures >= MAX_FAILURES {
                    ui.status.set(Status::Saved(text.saved.to_owned()));
                    let (api, outbox, form_id) = (api.clone(), outbox.clone(), form_id.clone());
                    spawn_local(async move {
                        sleep(LATER_MS).await;
                        flush(api, outbox, form_id, ui).await;
                    });
                    break;
                }
                let sentence = match retry_after {
                    Some(seconds) if told_to_wait => ui.locale.rate_limited(seconds),
                    _ => text.retrying.to_owned(),
                };
                ui.status.set(Status::Retrying(sentence));
                sleep(state::retry_delay_ms(failures.max(1), retry_after, js_sys::Math::random()))
                    .await;
            }
        }
    }
    outbox.end_flush();
}

/// The browser's clock, in whole milliseconds since the epoch.
fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                ms.min(i32::MAX as u32) as i32,
            );
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A fresh idempotency key: 128 random bits, hex.
fn new_key() -> String {
    let mut bytes = [0u8; 16];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// Sends the outbox again whenever the browser comes back online.
fn flush_when_online(api: Api, outbox: Outbox, form_id: String, ui: Ui) {
    let Some(window) = web_sys::window() else { return };
    let listener = Closure::<dyn FnMut()>::new(move || {
        spawn_local(flush(api.clone(), outbox.clone(), form_id.clone(), ui));
    });
    let _ = window.add_event_listener_with_callback("online", listener.as_ref().unchecked_ref());
    // The form lives as long as the page does.
    listener.forget();
}

#[component]
fn LeadForm(definition: FormDefinition, setup: Setup) -> impl IntoView {
    let Setup { api, outbox, context, hidden, locale, token, token_received } = setup;
    let text = locale.text();
    let hidden = hidden.into_iter().filter(|(name, _)| {
        definition.field(name).is_some_and(|f| matches!(f.kind, FieldKind::Hidden { .. }))
    });
    let state = RwSignal::new(FormState::new(hidden));
    let status = RwSignal::new(Status::Idle);
    let form_ref = NodeRef::<html::Form>::new();
    let honeypot = NodeRef::<html::Input>::new();
    let ui = Ui { state, status, form_ref, locale };
    let form_id = definition.id.clone();
    let fields = definition.fields.clone();
    let title = definition.title.clone();
    let submit_label = definition.submit_label.clone();
    let success = definition.success_message.clone();
    let definition = StoredValue::new(definition);

    // Whatever an earlier visit could not deliver goes first.
    if !outbox.load().is_empty() {
        status.set(Status::Sending);
        spawn_local(flush(api.clone(), outbox.clone(), form_id.clone(), ui));
    }
    flush_when_online(api.clone(), outbox.clone(), form_id.clone(), ui);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Checked and set synchronously, so a double click cannot start a second delivery.
        if status.get_untracked().is_busy() {
            return;
        }
        let prepared = state
            .try_update(|s| definition.with_value(|d| s.prepare_submission(d, context.clone())));
        match prepared {
            Some(Ok(mut submission)) => {
                submission.token = token.clone();
                submission.honeypot =
                    honeypot.get_untracked().map(|input| input.value()).filter(|v| !v.is_empty());
                let mut queue = outbox.load();
                state::enqueue(
                    &mut queue,
                    Pending {
                        key: new_key(),
                        submission,
                        token_received: Some(token_received.clone()),
                    },
                );
                outbox.save(&queue);
                status.set(Status::Sending);
                spawn_local(flush(api.clone(), outbox.clone(), form_id.clone(), ui));
            }
            Some(Err(errors)) => {
                status.set(Status::Problem(locale.correction(errors.len())));
                focus_first_invalid(form_ref);
            }
            None => {}
        }
    };

    let announcement = move || match status.get() {
        Status::Sent => success.clone(),
        Status::Problem(message) | Status::Retrying(message) | Status::Saved(message) => message,
        Status::Idle | Status::Sending => String::new(),
    };
    let sent = move || status.get() == Status::Sent;

    view! {
        <div class="inlet-card" lang=locale.tag()>
            <h2 class="inlet-title">{title}</h2>
            <form node_ref=form_ref novalidate on:submit=on_submit hidden=sent aria-label=definition.with_value(|d| d.title.clone())>
                {fields.into_iter().map(|field| view! { <FieldView field state definition locale /> }).collect_view()}
                // A trap for bots that fill every input by script: people never see it, and neither
                // screen readers nor autofill touch it. Chromium autofills even an off-screen
                // autocomplete="off" field it takes for a company or an address, so the trap has no
                // name and an id and label no heuristic knows, and `inert` keeps autofill and focus
                // out of it anyway. Field ids are `inlet-` and a name that starts with a letter, so
                // `inlet-0` is never one of them.
                <div class="inlet-hp" aria-hidden="true" inert="">
                    <label for="inlet-0">{text.honeypot_label}</label>
                    <input type="text" id="inlet-0" tabindex="-1" autocomplete="off" node_ref=honeypot />
                </div>
                <button type="submit" class="inlet-submit" disabled=move || status.get().is_busy()>
                    {move || if status.get().is_busy() { text.sending.to_owned() } else { submit_label.clone() }}
                </button>
            </form>
            <p role="status" aria-live="polite" class="inlet-status" class:inlet-success=sent>{announcement}</p>
        </div>
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
fn FieldView(
    field: Field,
    state: RwSignal<FormState>,
    definition: StoredValue<FormDefinition>,
    locale: Locale,
) -> impl IntoView {
    let Field { name, label, kind, required, help } = field;
    // Strings are joined, not formatted, in the widget: see `inlet_shared::decimal`.
    let id = ["inlet-", &name].concat();
    let error_id = [&id, "-error"].concat();
    let help_id = [&id, "-help"].concat();
    let error = {
        let name = name.clone();
        move || state.with(|s| definition.with_value(|d| s.visible_error(d, &name)))
    };
    let invalid = {
        let error = error.clone();
        move || if error().is_some() { "true" } else { "false" }
    };
    let described_by = {
        let (help_id, error_id, has_help) = (help_id.clone(), error_id.clone(), help.is_some());
        let error = error.clone();
        move || {
            let ids: Vec<&str> =
                [has_help.then_some(help_id.as_str()), error().map(|_| error_id.as_str())]
                    .into_iter()
                    .flatten()
                    .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let help_view = help.map(|text| view! { <p class="inlet-help" id=help_id>{text}</p> });
    let error_view = {
        let kind = kind.clone();
        view! { <p class="inlet-error" id=error_id>{move || error().map(|e| e.message_in(locale, Some(&kind)))}</p> }
    };
    let marker =
        required.then(|| view! { <span class="inlet-required" aria-hidden="true">" *"</span> });

    if matches!(kind, FieldKind::Hidden { .. }) {
        return EitherOf3::A(());
    }
    let is_check = matches!(kind, FieldKind::Checkbox | FieldKind::Consent { .. });
    // What the visitor did: a box ticked or not, or text typed or chosen. A change makes a checkbox
    // count as visited; a text field counts once the visitor leaves it.
    let on_input = {
        let name = name.clone();
        move |ev: leptos::ev::Event| {
            state.update(|s| {
                if is_check {
                    s.set(&name, RawValue::Bool(event_target_checked(&ev)));
                    s.touch(&name);
                } else {
                    s.set(&name, RawValue::Text(event_target_value(&ev)));
                }
            })
        }
    };
    let touch = {
        let name = name.clone();
        move |_| state.update(|s| s.touch(&name))
    };
    let (text, checked) = {
        let (a, b) = (name.clone(), name.clone());
        (move || state.with(|s| s.text(&a)), move || state.with(|s| s.checked(&b)))
    };

    // One element type for every control (input, textarea, select; text or checkbox): each distinct
    // element type costs the wasm its own rendering code, so they share one.
    let (tag, input_type, autocomplete) = match (&kind, name.as_str()) {
        (FieldKind::MultiLine { .. }, _) => ("textarea", None, None),
        (FieldKind::Select { .. }, _) => ("select", None, None),
        (FieldKind::Checkbox | FieldKind::Consent { .. }, _) => ("input", Some("checkbox"), None),
        (FieldKind::Email, _) => ("input", Some("email"), Some("email")),
        (FieldKind::Phone, _) => ("input", Some("tel"), Some("tel")),
        (_, "name") => ("input", Some("text"), Some("name")),
        _ => ("input", Some("text"), None),
    };
    let (rows, max_length) = match &kind {
        FieldKind::MultiLine { max_length } => (Some("4"), Some(decimal(*max_length as u64))),
        _ => (None, None),
    };
    // A select's choices: a prompt first, so nothing is chosen until the visitor chooses.
    let options = match &kind {
        FieldKind::Select { options } => {
            std::iter::once((String::new(), locale.text().choose.to_owned()))
                .chain(options.iter().map(|o| (o.clone(), o.clone())))
                .collect()
        }
        _ => Vec::new(),
    };
    let options = options
        .into_iter()
        .map(|(value, text)| view! { <option value=value>{text}</option> })
        .collect_view();
    // `input` fires for selects and checkboxes too, as the visitor chooses or ticks.
    let control = html::custom(tag)
        .attr("type", input_type)
        .attr("id", id.clone())
        .attr("name", id.clone())
        .attr("autocomplete", autocomplete)
        .attr("rows", rows)
        .attr("maxlength", max_length)
        .attr("required", required)
        .attr("aria-invalid", invalid)
        .attr("aria-describedby", described_by)
        .prop("value", text)
        .prop("checked", checked)
        .on(leptos::ev::input, on_input)
        .on(leptos::ev::blur, touch)
        .child(options);

    if is_check {
        // A box comes before its wording; a consent box's wording is the text the visitor agrees to.
        let wording = match kind {
            FieldKind::Consent { text, .. } => text,
            _ => label,
        };
        EitherOf3::B(view! {
            <div class="inlet-field inlet-check">
                {control}
                <label for=id>{wording}{marker}</label>
                {help_view}
                {error_view}
            </div>
        })
    } else {
        EitherOf3::C(view! {
            <div class="inlet-field">
                <label for=id>{label}{marker}</label>
                {help_view}
                {control}
                {error_view}
            </div>
        })
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
