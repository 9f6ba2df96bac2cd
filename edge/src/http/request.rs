//! Reading a request: its headers, its query string, and a body of bounded size that must be JSON.

use crate::http::failure::Failure;
use crate::http::problem::Problem;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use worker::Request;

/// A request header, if present.
pub fn header(req: &Request, name: &str) -> Result<Option<String>, Failure> {
    Ok(req.headers().get(name)?)
}

/// The first value of query parameter `name`, decoded.
pub fn query_param(req: &Request, name: &str) -> Result<Option<String>, Failure> {
    Ok(req.url()?.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned()))
}

/// Refuses a body that is not declared as JSON (`415`).
pub fn require_json(req: &Request) -> Result<(), Failure> {
    let content_type = header(req, "content-type")?.unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if essence == "application/json" {
        Ok(())
    } else {
        Err(Problem::unsupported_media_type().into())
    }
}

/// Reads at most `max` bytes. A declared length over the limit is refused before reading anything,
/// and a body that streams past the limit is refused as soon as it does.
pub async fn read_body(req: &mut Request, max: usize) -> Result<Vec<u8>, Failure> {
    let declared = header(req, "content-length")?.and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|length| length > max) {
        return Err(Problem::payload_too_large(max).into());
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let mut stream = req.stream()?;
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(max));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max {
            return Err(Problem::payload_too_large(max).into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What to tell a client whose JSON has the wrong shape.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// One fixed sentence, e.g. an example of the expected object.
    Described(&'static str),
    /// "Expected a JSON object." for a non-object, serde's own words for a wrong member.
    Reported,
}

/// Parses `body` as a JSON object of type `T` (`400 malformed_json` otherwise). The top level must be
/// an object: serde would otherwise read a JSON array as a struct whose fields all take defaults.
pub fn parse_object<T: DeserializeOwned>(body: &[u8], shape: Shape) -> Result<T, Failure> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| Problem::malformed_json("The body is not valid JSON."))?;
    if !value.is_object() {
        return Err(Problem::malformed_json(match shape {
            Shape::Described(sentence) => sentence,
            Shape::Reported => "Expected a JSON object.",
        })
        .into());
    }
    serde_json::from_value(value).map_err(|error| {
        Problem::malformed_json(match shape {
            Shape::Described(sentence) => sentence.to_owned(),
            Shape::Reported => format!("Unexpected shape: {error}"),
        })
        .into()
    })
}

/// A JSON object body of at most `max` bytes.
pub async fn read_json<T: DeserializeOwned>(req: &mut Request, max: usize) -> Result<T, Failure> {
    require_json(req)?;
    let body = read_body(req, max).await?;
    parse_object(&body, Shape::Reported)
}

/// A JSON object body that may also be empty, when every member takes its default.
pub async fn read_optional_json<T: DeserializeOwned + Default>(
    req: &mut Request,
    max: usize,
) -> Result<T, Failure> {
    let body = read_body(req, max).await?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    require_json(req)?;
    parse_object(&body, Shape::Reported)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Thing {
        name: String,
    }

    fn detail(result: Result<Thing, Failure>) -> Option<String> {
        match result {
            Err(Failure::Problem(problem)) => problem.detail.clone(),
            _ => None,
        }
    }

    #[test]
    fn objects_parse_and_everything_else_is_malformed() {
        let ok: Result<Thing, Failure> = parse_object(br#"{"name": "a"}"#, Shape::Reported);
        assert_eq!(ok.ok(), Some(Thing { name: "a".into() }));
        assert_eq!(
            detail(parse_object(b"{", Shape::Reported)).as_deref(),
            Some("The body is not valid JSON.")
        );
        assert_eq!(
            detail(parse_object(b"[]", Shape::Reported)).as_deref(),
            Some("Expected a JSON object.")
        );
        assert!(
            detail(parse_object(br#"{"x": 1}"#, Shape::Reported))
                .is_some_and(|d| d.starts_with("Unexpected shape: "))
        );
        let described = Shape::Described("Expected {\"name\": ...}.");
        assert_eq!(
            detail(parse_object(b"[1]", described)).as_deref(),
            Some("Expected {\"name\": ...}.")
        );
        assert_eq!(
            detail(parse_object(br#"{"x": 1}"#, described)).as_deref(),
            Some("Expected {\"name\": ...}.")
        );
    }
}
