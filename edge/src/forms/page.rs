//! HTML the Worker serves for forms: the iframe embed page and its policies. Everything interpolated
//! is escaped with `http::html`.

use crate::http::cors;
use crate::http::html::escape_html as escape;

/// The page a site embeds with `<iframe src="https://HOST/embed/FORM_ID">`. It loads the same widget
/// as the script-tag embed, in frame mode, where the widget reports its height to the parent page.
/// The page asks for the wasm and the form's definition itself, alongside the loader, so neither waits
/// for the loader to run; the loader's own requests for them are answered by these (same URL, same
/// CORS mode).
pub fn embed_page(form_id: &str, title: &str, lang: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/embed.css">
<link rel="preload" href="/pkg/inlet_widget_bg.wasm" as="fetch" crossorigin>
<link rel="preload" href="/v1/forms/{form_id}" as="fetch" crossorigin>
</head>
<body>
<main>
<script src="/widget.js" data-form="{form_id}" data-locale="{lang}" data-frame async></script>
</main>
</body>
</html>
"#,
        lang = escape(lang),
        title = escape(title),
        form_id = escape(form_id),
    )
}

/// Shown in an iframe whose form no longer exists: a sentence, not a JSON error.
pub fn not_found_page() -> &'static str {
    "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Form not found</title>\
     <p>This form is not available.</p></html>\n"
}

/// The policy of the embed's "form not found" page: nothing to load, and framed by anyone, since a
/// site that still embeds a deleted form should show the sentence, not a browser error.
pub const NOT_FOUND_CSP: &str = "default-src 'none'; frame-ancestors *";

/// The embed page's policy: only our own scripts, styles and API, and framing only by the sites the
/// form's owner listed.
pub fn embed_csp(allowed_origins: &[String]) -> String {
    let ancestors: Vec<String> = if allowed_origins.iter().any(|o| o == "*") {
        vec!["*".to_owned()]
    } else {
        allowed_origins.iter().filter_map(|o| cors::normalise_origin(o)).collect()
    };
    let ancestors = if ancestors.is_empty() { "'none'".to_owned() } else { ancestors.join(" ") };
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_interpolated() {
        let page = embed_page("demo", "Quote <b>now</b>", "en\"><script>");
        assert!(page.contains("<title>Quote &lt;b&gt;now&lt;/b&gt;</title>"));
        assert!(page.contains(r#"<html lang="en&quot;&gt;&lt;script&gt;">"#));
        assert!(page.contains(r#"data-form="demo""#));
        assert!(page.contains(r#"data-locale="en&quot;&gt;&lt;script&gt;""#));
    }

    #[test]
    fn framing_follows_the_allow_list() {
        let csp = embed_csp(&["https://Roofer.example/".to_owned(), "not an origin".to_owned()]);
        assert!(csp.ends_with("frame-ancestors https://roofer.example"), "{csp}");
        assert!(embed_csp(&[]).ends_with("frame-ancestors 'none'"));
        assert!(embed_csp(&["*".to_owned()]).ends_with("frame-ancestors *"));
    }
}
