//! Escaping text for markup: HTML the Worker serves, and the `&`/`<`/`>` markup of Slack messages.
//! One scan, two character sets.

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape_html(text: &str) -> String {
    escape(text, true)
}

/// Escapes only `&`, `<` and `>`: what Slack's message markup reads as markup (it shows `&quot;`
/// as written, so quotes stay as they are).
pub fn escape_markup(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            escape_html(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape_markup(r#"<b>"x" & 'y'</b>"#), r#"&lt;b&gt;"x" &amp; 'y'&lt;/b&gt;"#);
    }
}
