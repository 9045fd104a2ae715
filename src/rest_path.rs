//! URLs of the instance's REST API for requests a caller forwards: `<instance>/api/now/<path>` and,
//! for every namespace, `<instance>/api/<namespace>/<path>`, and nothing outside `/api/`.
//!
//! A path is refused when any server on the way could read it as leaving the API: empty segments,
//! dot segments (`..`, `.`, or their percent-encoded forms), encoded slashes, backslashes, colons or
//! control characters, a `%25` before an encoded dot, slash or backslash (a traversal for a server
//! that decodes twice), and dot segments hidden behind path parameters. ServiceNow runs on a
//! Tomcat-style servlet container, which strips `;params` from a segment before it resolves dot
//! segments, so `/api/now/..;/x` and `/api/now/%2e%2e;x/x` leave the API there: a segment whose part
//! before the first `;` (raw, or after percent-decoding) is empty, `.` or `..` is refused. Finally
//! the URL is read back by the WHATWG parser `fetch` uses, and must keep exactly the path and query
//! that were checked.

use percent_encoding::percent_decode_str;

use crate::config::ConnectionConfig;
use crate::error::{Error, FieldCode, FieldError};

const MAX_PATH_LEN: usize = 2048;
const MAX_QUERY_LEN: usize = 8192;

/// The URL for a request a caller forwards to the instance: `<instance>/api/now/<path>[?<query>]`.
/// `path` is what follows `/api/now/`, such as `table/incident` or `v2/table/incident/<sys_id>`.
pub fn api_request_url(
    config: &ConnectionConfig,
    path: &str,
    query: Option<&str>,
) -> Result<String, Error> {
    check_path(path, "/api/now/")?;
    build(config, &format!("/api/now/{path}"), query)
}

/// The URL of any REST API namespace: `<instance>/api/<path>[?<query>]`, where `path` starts with the
/// namespace (`now/table/incident`, `sn_sc/servicecatalog/items`, `x_acme_app/v1/thing`) and has at
/// least two segments.
pub fn rest_api_url(
    config: &ConnectionConfig,
    path: &str,
    query: Option<&str>,
) -> Result<String, Error> {
    check_path(path, "/api/")?;
    let (namespace, rest) = path.split_once('/').unwrap_or((path, ""));
    let namespace_ok = (1..=64).contains(&namespace.len())
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !namespace_ok || rest.is_empty() {
        return Err(refuse(
            "must start with a namespace of letters, digits, '_' or '-' and name a resource below it (now/table/incident)",
            "/api/",
        ));
    }
    build(config, &format!("/api/{path}"), query)
}

fn refuse(why: &str, below: &str) -> Error {
    FieldError::new(
        "path",
        FieldCode::InvalidApiRequestPath,
        format!("API path {why}; it must stay below {below}."),
    )
    .into()
}

fn build(config: &ConnectionConfig, path: &str, query: Option<&str>) -> Result<String, Error> {
    let query = query.filter(|q| !q.is_empty());
    if let Some(query) = query {
        // `^` joins ServiceNow encoded-query terms and is commonly sent unescaped.
        let valid = query.len() <= MAX_QUERY_LEN
            && query.bytes().all(|b| is_query_char(b) || b == b'^')
            && escapes_are_valid(query);
        if !valid {
            return Err(FieldError::new(
                "query",
                FieldCode::InvalidApiRequestPath,
                "The query string contains characters that must be percent-encoded.",
            )
            .into());
        }
    }
    let url = match query {
        Some(query) => format!("{}{path}?{query}", config.instance_url),
        None => format!("{}{path}", config.instance_url),
    };
    // What fetch will send must be exactly what was checked. The path holds only path characters and
    // the query only query characters (no `?` or `#` beyond the one written), so the same
    // serialisation means the same path and query.
    let serialized = crate::address::serialize(&url)
        .ok_or_else(|| refuse("is not a valid URL path", "/api/"))?;
    if serialized != url {
        return Err(refuse("would be changed by URL parsing", "/api/"));
    }
    Ok(url)
}

fn check_path(path: &str, below: &str) -> Result<(), Error> {
    let refuse = |why: &str| Err(refuse(why, below));
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.len() > MAX_PATH_LEN {
        return refuse("is too long");
    }
    for segment in path.split('/') {
        if segment.is_empty() {
            return refuse("has an empty segment (//)");
        }
        if !segment.bytes().all(is_pchar) || !escapes_are_valid(segment) {
            return refuse("has an invalid percent escape or character");
        }
        let Ok(decoded) = percent_decode_str(segment).decode_utf8() else {
            return refuse("has an invalid percent escape or character");
        };
        let raw_name = segment.split(';').next().unwrap_or_default();
        let decoded_name = decoded.split(';').next().unwrap_or_default();
        let raw_name = percent_decode_str(raw_name).decode_utf8_lossy();
        if [raw_name.as_ref(), decoded_name]
            .iter()
            .any(|name| matches!(*name, "" | "." | ".."))
        {
            return refuse("contains a dot segment (also behind ;parameters)");
        }
        // `%25` followed by an escape of a dot, slash or backslash: harmless for a server that
        // decodes once, a traversal for one that decodes twice.
        let lower = segment.to_ascii_lowercase();
        if ["%252e", "%252f", "%255c"]
            .iter()
            .any(|p| lower.contains(p))
        {
            return refuse("contains a double-encoded dot, slash or backslash");
        }
        if decoded
            .chars()
            .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control())
        {
            return refuse("contains an encoded slash, backslash, colon or control character");
        }
    }
    Ok(())
}

/// Every `%` starts an escape of two hex digits.
fn escapes_are_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// RFC 3986 `pchar` (unreserved / pct-encoded / sub-delims / ":" / "@"), with `%` as the start of an
/// escape (checked by [`escapes_are_valid`]).
fn is_pchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
}

/// RFC 3986 `query`: `pchar / "/" / "?"`.
fn is_query_char(b: u8) -> bool {
    is_pchar(b) || b == b'/' || b == b'?'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_fixtures::basic_config;

    #[test]
    fn forwarded_urls_stay_below_api_now() {
        let config = basic_config();
        assert_eq!(
            api_request_url(
                &config,
                "table/incident",
                Some("sysparm_limit=1&sysparm_query=active=true^priority=1")
            )
            .unwrap(),
            "https://dev1.service-now.com/api/now/table/incident?sysparm_limit=1&sysparm_query=active=true^priority=1"
        );
        assert_eq!(
            api_request_url(&config, "v2/table/incident/0123abc", None).unwrap(),
            "https://dev1.service-now.com/api/now/v2/table/incident/0123abc"
        );
        assert_eq!(
            api_request_url(&config, "table/x%20y", Some("")).unwrap(),
            "https://dev1.service-now.com/api/now/table/x%20y"
        );
        // A parameter after a real name is only a parameter.
        assert_eq!(
            api_request_url(&config, "table/incident;jsessionid=1", None).unwrap(),
            "https://dev1.service-now.com/api/now/table/incident;jsessionid=1"
        );
        for bad in [
            "",
            "../../evil",
            "table/../../x",
            "table/%2e%2e/x",
            "table/%2E./x",
            "table/.",
            "table//x",
            "/table/x",
            "table/x/",
            "table%2fx",
            "table%5Cx",
            "table\\x",
            "https://evil.example/x",
            "http:%2F%2Fevil.example",
            "table/x%0d%0aHost:evil",
            "table/x%",
            "table/x%zz",
            "table/%252e%252e%252fx",
            "table/%252F",
            "table/x%255Cy",
            "table/x y",
            "table/é",
            "table/x?y",
            "table/x#y",
        ] {
            let error = api_request_url(&config, bad, None).unwrap_err();
            assert_eq!(error.code.as_str(), "invalid_api_request_path", "{bad}");
            assert_eq!(error.field, Some("path"));
        }
        for bad_query in ["a=1#frag", "a=<b>", "a=\r\n", "a= b", "a=%zz", "a=%"] {
            assert!(
                api_request_url(&config, "table/x", Some(bad_query)).is_err(),
                "{bad_query}"
            );
        }
    }

    #[test]
    fn dot_segments_behind_path_parameters_are_refused() {
        // Tomcat strips ";params" and then resolves "..": each of these leaves /api/now/ there.
        let config = basic_config();
        for bad in [
            "..;/..;/oauth_token.do",
            "table/..;/..;/x",
            "table/%2e%2e;x/x",
            "table/%2E%2e;/x",
            "table/.;/x",
            "table/.;jsessionid=1/x",
            "table/;x/y",
            "table/%2e%2e%3bx/y",
            "table/.%3b/y",
        ] {
            let error = api_request_url(&config, bad, None).unwrap_err();
            assert_eq!(error.code.as_str(), "invalid_api_request_path", "{bad}");
            let error = rest_api_url(&config, &format!("now/{bad}"), None).unwrap_err();
            assert_eq!(error.code.as_str(), "invalid_api_request_path", "{bad}");
        }
    }

    #[test]
    fn every_namespace_below_api() {
        let config = basic_config();
        for (path, url) in [
            (
                "now/table/incident",
                "https://dev1.service-now.com/api/now/table/incident",
            ),
            (
                "sn_sc/servicecatalog/items",
                "https://dev1.service-now.com/api/sn_sc/servicecatalog/items",
            ),
            (
                "x_acme_app/v1/thing",
                "https://dev1.service-now.com/api/x_acme_app/v1/thing",
            ),
        ] {
            assert_eq!(rest_api_url(&config, path, None).unwrap(), url);
        }
        assert_eq!(
            rest_api_url(&config, "now/table/incident", Some("sysparm_limit=1")).unwrap(),
            "https://dev1.service-now.com/api/now/table/incident?sysparm_limit=1"
        );
        for bad in [
            "now",
            "now/",
            "../oauth_token.do",
            "..;/x",
            "%6eow/table",
            "n.w/table",
            "now/../../x",
            "now/%2e%2e/x",
            "now//x",
            "",
        ] {
            let error = rest_api_url(&config, bad, None).unwrap_err();
            assert_eq!(
                (error.code.as_str(), error.field),
                ("invalid_api_request_path", Some("path")),
                "{bad}"
            );
            assert!(error.message.contains("/api/"), "{}", error.message);
        }
    }
}
