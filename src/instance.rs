//! ServiceNow REST specifics: Test Connection, requests to the instance's API, and reading its answers.
//!
//! Test Connection reads one row of `sys_db_object` (`GET <base>/table/sys_db_object?sysparm_limit=1&
//! sysparm_fields=name`) with `Accept: application/json` (ServiceNow answers 400 without it), which
//! proves in one call that the host, the API path, the credentials and the user's roles are right.
//! The answer is classified, never thrown: ServiceNow's error JSON is
//! `{"error":{"message","detail"},"status":"failure"}`; 401 is "User Not Authenticated"; 403 can come
//! from an ACL or a business rule; 404 from a wrong path or version (or an ACL); rate limits are 429
//! with `Retry-After` in seconds and `X-RateLimit-Reset` in epoch seconds; a hibernating developer
//! instance answers its HTML wake-up page instead of JSON, so it is recognised by content type plus
//! text, not by status. Requests forwarded for a caller go to `<instance>/api/now/<path>` and nowhere
//! else: paths that could climb out (`..`, encoded slashes or dots, empty segments, schemes) are refused.

use crate::basic::basic_authorization;
use crate::config::{Auth, ConnectionConfig};
use crate::error::{Error, ErrorCode, FieldCode, FieldError, server_text};
use crate::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use crate::http_url::{is_pchar, is_query_char};
use crate::json;
use crate::oauth::token::TokenSet;

/// How a Test Connection ended. The string forms are the stable API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestCode {
    /// The Table API answered with rows: everything is right.
    Ok,
    /// 401: the credentials or the token were refused.
    Unauthorized,
    /// 403: the user lacks the roles (read access to `sys_db_object`).
    Forbidden,
    /// 404: wrong API path or version, or hidden by an ACL.
    NotFound,
    /// The instance is hibernating.
    Hibernating,
    /// 429: the instance limits the rate of requests.
    RateLimited,
    /// No answer: DNS, connection refused, TLS, time limit.
    Unreachable,
    /// 5xx.
    ServerError,
    /// Anything else: a redirect, HTML, a status or body that is not the Table API's.
    UnexpectedResponse,
    /// An OAuth connection without a usable token: Generate first.
    ReauthorizationRequired,
    /// The settings do not validate.
    InvalidConfig,
}

impl TestCode {
    /// The stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Hibernating => "hibernating",
            Self::RateLimited => "rate_limited",
            Self::Unreachable => "unreachable",
            Self::ServerError => "server_error",
            Self::UnexpectedResponse => "unexpected_response",
            Self::ReauthorizationRequired => "reauthorization_required",
            Self::InvalidConfig => "invalid_config",
        }
    }
}

/// The outcome of Test Connection, for a person and for code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// Whether the connection works.
    pub ok: bool,
    /// The classification.
    pub code: TestCode,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// What happened.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// For `rate_limited`: seconds to wait.
    pub retry_after_seconds: Option<u64>,
}

impl TestResult {
    /// A failed result.
    pub fn failed(code: TestCode, message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            ok: code == TestCode::Ok,
            code,
            status: None,
            message: message.into(),
            hint: hint.map(str::to_owned),
            retry_after_seconds: None,
        }
    }

    /// The result for an operation error met before or instead of the test request, such as a failed
    /// refresh in the worker.
    pub fn from_error(error: &Error) -> Self {
        let code = match error.code {
            ErrorCode::InvalidConfig | ErrorCode::Field(_) => TestCode::InvalidConfig,
            ErrorCode::ReauthorizationRequired => TestCode::ReauthorizationRequired,
            ErrorCode::RateLimited => TestCode::RateLimited,
            ErrorCode::Hibernating => TestCode::Hibernating,
            ErrorCode::NetworkError | ErrorCode::Timeout => TestCode::Unreachable,
            ErrorCode::TokenEndpointUnavailable => TestCode::ServerError,
            ErrorCode::InvalidClient | ErrorCode::AccessDenied | ErrorCode::InvalidGrant => {
                TestCode::Unauthorized
            }
            _ => TestCode::UnexpectedResponse,
        };
        let hint = match (code, error.code) {
            (TestCode::ReauthorizationRequired, _) => Some(HINT_GENERATE),
            (TestCode::Hibernating, _) => Some(HINT_HIBERNATING),
            (TestCode::Unreachable, ErrorCode::Timeout) => Some(HINT_SLOW),
            (TestCode::Unreachable, _) => Some(HINT_UNREACHABLE),
            _ => None,
        };
        Self {
            status: error.status,
            retry_after_seconds: error.retry_after_seconds,
            ..Self::failed(code, error.message.clone(), hint)
        }
    }
}

const HINT_GENERATE: &str =
    "Open the OAuth 2.0 tab and click Generate to authorize this connection again.";
const HINT_HIBERNATING: &str =
    "Sign in to the instance (or the developer portal) to wake it, then test again.";
const HINT_UNREACHABLE: &str =
    "Check the host name in the Base URL and that the instance can be reached from here.";
const HINT_SLOW: &str =
    "The instance may be slow or overloaded: try again, or allow more time (timeoutMs).";
const HINT_FORBIDDEN: &str = "Check the user's roles: Test Connection reads one row of sys_db_object, which needs read access to sys_db_object (admin, or a role an ACL grants read). A 403 can also come from an ACL or business rule.";
const HINT_NOT_FOUND: &str = "Check the API path and version in the Base URL (/api/now, /api/now/v1 or /api/now/v2) and that the Table API is active. A 404 can also come from an ACL hiding the table.";
const HINT_BASIC_REFUSED: &str = "Check the user name and password. If they are right, Basic authentication may be disabled on this instance: use OAuth 2.0 instead.";
const HINT_TOKEN_REFUSED: &str =
    "The access token was refused (expired or revoked). Click Generate to get a new one.";

/// The `Authorization` header for a request to the instance.
pub fn authorization_header(
    config: &ConnectionConfig,
    tokens: Option<&TokenSet>,
) -> Result<String, Error> {
    match &config.auth {
        Auth::Basic(basic) => {
            basic_authorization(&basic.username, basic.password.expose()).map_err(Error::from)
        }
        Auth::OAuth2(_) => tokens
            .filter(|t| !t.access_token.is_empty())
            .map(|t| format!("Bearer {}", t.access_token.expose()))
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::ReauthorizationRequired,
                    "This connection has no access token yet: Generate one on the OAuth 2.0 tab.",
                )
            }),
    }
}

/// The Test Connection request.
pub fn test_connection_request(
    config: &ConnectionConfig,
    tokens: Option<&TokenSet>,
) -> Result<HttpRequest, Error> {
    Ok(HttpRequest {
        method: Method::Get,
        url: format!(
            "{}/table/sys_db_object?sysparm_limit=1&sysparm_fields=name",
            config.base_url
        ),
        headers: vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            (
                "Authorization".to_owned(),
                authorization_header(config, tokens)?,
            ),
        ],
        body: None,
        timeout_ms: config.timeout_ms,
    })
}

/// Classifies the answer to the Test Connection request.
pub fn classify_test_response(
    config: &ConnectionConfig,
    response: &HttpResponse,
    now_ms: u64,
) -> TestResult {
    let status = response.status;
    let host = &config.instance_url;
    let with_status = |result: TestResult| TestResult {
        status: Some(status),
        ..result
    };
    if is_hibernation_page(response) {
        return with_status(TestResult::failed(
            TestCode::Hibernating,
            format!("The instance at {host} is hibernating."),
            Some(HINT_HIBERNATING),
        ));
    }
    let body = json::parse_object(&response.body);
    let reason = body
        .as_ref()
        .and_then(servicenow_error)
        .map(|(message, detail)| match detail {
            Some(detail) => format!(": {message} ({detail})"),
            None => format!(": {message}"),
        })
        .unwrap_or_default();
    let basic = matches!(config.auth, Auth::Basic(_));
    let result = match status {
        200..=299 => match body.as_ref().filter(|b| json::has(b, "result")) {
            Some(_) => TestResult::failed(
                TestCode::Ok,
                format!(
                    "Connected: the Table API at {} answered for this user.",
                    config.base_url
                ),
                None,
            ),
            None => TestResult::failed(
                TestCode::UnexpectedResponse,
                format!("The instance answered HTTP {status}, but not with the Table API's JSON."),
                Some("Check that the Base URL points to a ServiceNow instance."),
            ),
        },
        401 => TestResult::failed(
            TestCode::Unauthorized,
            format!("The instance refused the credentials{reason}."),
            Some(if basic {
                HINT_BASIC_REFUSED
            } else {
                HINT_TOKEN_REFUSED
            }),
        ),
        403 => TestResult::failed(
            TestCode::Forbidden,
            format!("The instance denied access to sys_db_object{reason}."),
            Some(HINT_FORBIDDEN),
        ),
        404 => TestResult::failed(
            TestCode::NotFound,
            format!("Nothing answers at {}{reason}.", config.base_url),
            Some(HINT_NOT_FOUND),
        ),
        429 => {
            let retry_after = retry_after_seconds(response, now_ms);
            let hint = retry_after.map_or_else(
                || "Wait a while, then test again.".to_owned(),
                |s| format!("Wait {s} seconds, then test again."),
            );
            TestResult {
                hint: Some(hint),
                retry_after_seconds: retry_after,
                ..TestResult::failed(
                    TestCode::RateLimited,
                    format!("The instance is limiting the rate of requests{reason}."),
                    None,
                )
            }
        }
        500..=599 => TestResult::failed(
            TestCode::ServerError,
            format!("The instance answered HTTP {status}{reason}."),
            Some("The instance had a problem of its own; try again later."),
        ),
        0 | 300..=399 => TestResult::failed(
            TestCode::UnexpectedResponse,
            "The instance redirected the request instead of answering it.".to_owned(),
            Some("Check the Base URL: a login page, proxy or another host is in the way."),
        ),
        _ => TestResult::failed(
            TestCode::UnexpectedResponse,
            format!("The instance answered HTTP {status}{reason}."),
            Some("Check that the Base URL points to a ServiceNow instance."),
        ),
    };
    with_status(result)
}

/// Runs Test Connection. Every failure comes back as a classification; nothing is thrown.
pub async fn test_connection<C: HttpClient>(
    client: &C,
    config: &ConnectionConfig,
    tokens: Option<&TokenSet>,
    now_ms: u64,
) -> TestResult {
    let request = match test_connection_request(config, tokens) {
        Ok(request) => request,
        Err(error) => return TestResult::from_error(&error),
    };
    let answer = client.send(request).await;
    process_test_answer(config, answer, now_ms)
}

/// Classifies what came back for the Test Connection request, answer or transport failure: the
/// second half of [`test_connection`], for callers that send requests themselves.
pub fn process_test_answer(
    config: &ConnectionConfig,
    answer: Result<HttpResponse, TransportError>,
    now_ms: u64,
) -> TestResult {
    match answer {
        Ok(response) => classify_test_response(config, &response, now_ms),
        Err(error) => TestResult::from_error(&transport_error(
            error,
            &config.instance_url,
            config.timeout_ms,
        )),
    }
}

/// `message` and `detail` of ServiceNow's error JSON.
pub(crate) fn servicenow_error(body: &json::Object) -> Option<(String, Option<String>)> {
    let error = json::object(body, "error")?;
    let message = json::string(error, "message").map(server_text)?;
    let detail = json::string(error, "detail")
        .map(server_text)
        .filter(|d| !d.is_empty());
    Some((message, detail))
}

/// Whether the answer is the hibernating instance's HTML page.
pub fn is_hibernation_page(response: &HttpResponse) -> bool {
    const SCAN_BYTES: usize = 64 * 1024;
    const WORD: &[u8] = b"hibernating";
    let html = response.media_type().ends_with("html");
    let head = response.body.get(..SCAN_BYTES).unwrap_or(&response.body);
    html && head
        .windows(WORD.len())
        .any(|window| window.eq_ignore_ascii_case(WORD))
}

/// Seconds to wait after a 429: `Retry-After` (delta-seconds), else `X-RateLimit-Reset` (epoch seconds).
pub fn retry_after_seconds(response: &HttpResponse, now_ms: u64) -> Option<u64> {
    let number = |name: &str| response.header(name)?.trim().parse::<u64>().ok();
    number("retry-after")
        .or_else(|| number("x-ratelimit-reset").map(|reset| reset.saturating_sub(now_ms / 1000)))
}

/// The error for a request that got no answer.
pub(crate) fn transport_error(error: TransportError, target: &str, timeout_ms: u32) -> Error {
    match error {
        TransportError::Network => Error::new(
            ErrorCode::NetworkError,
            format!("Could not reach {target} (connection failed)."),
        ),
        TransportError::Timeout => Error::new(
            ErrorCode::Timeout,
            format!("No answer from {target} within {timeout_ms} ms."),
        ),
    }
}

/// The URL for a request a caller forwards to the instance: `<instance>/api/now/<path>[?<query>]`.
/// `path` is what follows `/api/now/`, such as `table/incident` or `v2/table/incident/<sys_id>`.
pub fn api_request_url(
    config: &ConnectionConfig,
    path: &str,
    query: Option<&str>,
) -> Result<String, Error> {
    check_api_path(path)?;
    let mut url = format!("{}/api/now/{path}", config.instance_url);
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        // `^` joins ServiceNow encoded-query terms and is commonly sent unescaped.
        let valid = query.len() <= 8192 && query.bytes().all(|b| is_query_char(b) || b == b'^');
        if !valid {
            return Err(FieldError::new(
                "query",
                FieldCode::InvalidApiRequestPath,
                "The query string contains characters that must be percent-encoded.",
            )
            .into());
        }
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

fn check_api_path(path: &str) -> Result<(), Error> {
    let refuse = |why: &str| -> Result<(), Error> {
        Err(FieldError::new(
            "path",
            FieldCode::InvalidApiRequestPath,
            format!("API path {why}; it must stay below /api/now/."),
        )
        .into())
    };
    if path.is_empty() {
        return refuse("is empty");
    }
    if path.len() > 2048 {
        return refuse("is too long");
    }
    for segment in path.split('/') {
        if segment.is_empty() {
            return refuse("has an empty segment (//)");
        }
        let Some(decoded) = percent_decode(segment) else {
            return refuse("has an invalid percent escape or character");
        };
        if decoded == "." || decoded == ".." {
            return refuse("contains a dot segment");
        }
        // `%25` followed by an escape of a dot, slash or backslash: harmless for a server that
        // decodes once, a traversal for one that decodes twice.
        let double_encoded = segment.as_bytes().windows(5).any(|w| {
            w.get(..3) == Some(b"%25".as_slice())
                && matches!(
                    w.get(3..).map(<[u8]>::to_ascii_lowercase).as_deref(),
                    Some(b"2e" | b"2f" | b"5c")
                )
        });
        if double_encoded {
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

/// Decodes `%XX` escapes of a segment made of RFC 3986 `pchar`s; `None` when it is not one. (A `:`
/// passes here and is refused after decoding, with its encoded form.)
fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = core::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else if is_pchar(b) {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConnectionInput, ValidateOptions, validate};
    use crate::secret::Secret;

    const NOW: u64 = 1_700_000_000_000;

    fn basic() -> ConnectionConfig {
        validate(
            &ConnectionInput {
                base_url: Some("https://dev1.service-now.com/api/now/v2".to_owned()),
                auth_type: Some("basic".to_owned()),
                username: Some("admin".to_owned()),
                password: Some(Secret::new("pw")),
                ..ConnectionInput::default()
            },
            ValidateOptions::default(),
        )
        .unwrap()
    }

    fn oauth() -> ConnectionConfig {
        validate(
            &ConnectionInput {
                base_url: Some("https://dev1.service-now.com/api/now".to_owned()),
                auth_type: Some("oauth2".to_owned()),
                client_id: Some("id".to_owned()),
                client_secret: Some(Secret::new("secret")),
                ..ConnectionInput::default()
            },
            ValidateOptions::default(),
        )
        .unwrap()
    }

    fn tokens() -> TokenSet {
        TokenSet {
            access_token: Secret::new("AT"),
            refresh_token: None,
            token_type: "Bearer".to_owned(),
            scope: None,
            issued_at_ms: NOW,
            expires_at_ms: None,
            refresh_expires_at_ms: None,
        }
    }

    fn response(status: u16, content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.as_bytes().to_vec(),
        }
    }

    const JSON: &str = "application/json;charset=UTF-8";

    fn classify(config: &ConnectionConfig, response: &HttpResponse) -> TestResult {
        classify_test_response(config, response, NOW)
    }

    #[test]
    fn request_shape() {
        let request = test_connection_request(&basic(), None).unwrap();
        assert_eq!(request.method, Method::Get);
        assert_eq!(
            request.url,
            "https://dev1.service-now.com/api/now/v2/table/sys_db_object?sysparm_limit=1&sysparm_fields=name"
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header("authorization"), Some("Basic YWRtaW46cHc="));
        let request = test_connection_request(&oauth(), Some(&tokens())).unwrap();
        assert_eq!(request.header("authorization"), Some("Bearer AT"));
        assert!(
            request
                .url
                .starts_with("https://dev1.service-now.com/api/now/table/")
        );
    }

    #[test]
    fn ok_needs_the_table_api_json() {
        let ok = classify(
            &basic(),
            &response(200, JSON, r#"{"result":[{"name":"incident"}]}"#),
        );
        assert!(ok.ok);
        assert_eq!((ok.code, ok.status), (TestCode::Ok, Some(200)));
        let html = classify(&basic(), &response(200, "text/html", "<html>login</html>"));
        assert_eq!(html.code, TestCode::UnexpectedResponse);
        assert!(!html.ok);
        let other_json = classify(&basic(), &response(200, JSON, r#"{"status":"ok"}"#));
        assert_eq!(other_json.code, TestCode::UnexpectedResponse);
    }

    #[test]
    fn unauthorized_hints_depend_on_the_auth_type() {
        let body = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;
        let basic_result = classify(&basic(), &response(401, JSON, body));
        assert_eq!(basic_result.code, TestCode::Unauthorized);
        assert_eq!(
            basic_result.message,
            "The instance refused the credentials: User Not Authenticated (Required to provide Auth information)."
        );
        assert!(
            basic_result
                .hint
                .as_deref()
                .unwrap()
                .contains("use OAuth 2.0")
        );
        let oauth_result = classify(&oauth(), &response(401, JSON, body));
        assert!(oauth_result.hint.as_deref().unwrap().contains("Generate"));
    }

    #[test]
    fn forbidden_not_found_server_error() {
        let body =
            r#"{"error":{"message":"User Not Authorized","detail":null},"status":"failure"}"#;
        let forbidden = classify(&basic(), &response(403, JSON, body));
        assert_eq!(forbidden.code, TestCode::Forbidden);
        assert!(forbidden.message.ends_with(": User Not Authorized."));
        assert!(forbidden.hint.as_deref().unwrap().contains("sys_db_object"));
        assert!(forbidden.hint.as_deref().unwrap().contains("roles"));
        let not_found = classify(&basic(), &response(404, JSON, "{}"));
        assert_eq!(not_found.code, TestCode::NotFound);
        assert!(not_found.hint.as_deref().unwrap().contains("version"));
        for status in [500, 503] {
            let error = classify(&basic(), &response(status, "text/plain", "down"));
            assert_eq!(
                (error.code, error.status),
                (TestCode::ServerError, Some(status))
            );
        }
        let odd = classify(&basic(), &response(418, JSON, "{}"));
        assert_eq!(odd.code, TestCode::UnexpectedResponse);
        let redirect = classify(&basic(), &response(302, "text/html", ""));
        assert_eq!(redirect.code, TestCode::UnexpectedResponse);
        assert!(redirect.message.contains("redirected"));
        let opaque = classify(&basic(), &response(0, "", ""));
        assert_eq!(opaque.code, TestCode::UnexpectedResponse);
    }

    #[test]
    fn hibernation_is_recognised_by_type_and_text() {
        let page = "<html><h1>Your instance is hibernating</h1><p>Sign in to the site to wake your instance.</p></html>";
        let result = classify(&basic(), &response(200, "text/html; charset=UTF-8", page));
        assert_eq!(result.code, TestCode::Hibernating);
        assert!(result.hint.as_deref().unwrap().contains("wake"));
        // The same words as JSON are no hibernation page.
        let json = classify(
            &basic(),
            &response(200, JSON, r#"{"result":["hibernating"]}"#),
        );
        assert_eq!(json.code, TestCode::Ok);
    }

    #[test]
    fn rate_limits() {
        let mut limited = response(429, JSON, "{}");
        limited
            .headers
            .push(("Retry-After".to_owned(), " 30".to_owned()));
        let result = classify(&basic(), &limited);
        assert_eq!(result.code, TestCode::RateLimited);
        assert_eq!(result.retry_after_seconds, Some(30));
        assert_eq!(
            result.hint.as_deref(),
            Some("Wait 30 seconds, then test again.")
        );
        let mut reset_only = response(429, JSON, "{}");
        reset_only.headers.push((
            "X-RateLimit-Reset".to_owned(),
            (NOW / 1000 + 12).to_string(),
        ));
        assert_eq!(
            classify(&basic(), &reset_only).retry_after_seconds,
            Some(12)
        );
        let bare = classify(&basic(), &response(429, JSON, "{}"));
        assert_eq!(bare.retry_after_seconds, None);
    }

    #[test]
    fn test_connection_never_throws() {
        let down = |_: HttpRequest| async { Err(TransportError::Network) };
        let result = pollster::block_on(test_connection(&down, &basic(), None, NOW));
        assert_eq!(result.code, TestCode::Unreachable);
        assert!(result.message.contains("https://dev1.service-now.com"));
        let slow = |_: HttpRequest| async { Err(TransportError::Timeout) };
        let result = pollster::block_on(test_connection(&slow, &basic(), None, NOW));
        assert_eq!(result.code, TestCode::Unreachable);
        assert!(result.message.contains("15000 ms"));
        assert!(result.hint.as_deref().unwrap().contains("slow"));
        let never = |_: HttpRequest| async { panic!("no request expected") };
        let result = pollster::block_on(test_connection(&never, &oauth(), None, NOW));
        assert_eq!(result.code, TestCode::ReauthorizationRequired);
        assert!(result.hint.is_some());
    }

    #[test]
    fn test_connection_sends_and_classifies() {
        let client = |request: HttpRequest| async move {
            assert_eq!(request.header("authorization"), Some("Bearer AT"));
            Ok(response(200, JSON, r#"{"result":[]}"#))
        };
        let result = pollster::block_on(test_connection(&client, &oauth(), Some(&tokens()), NOW));
        assert!(result.ok);
    }

    #[test]
    fn results_from_errors() {
        let cases = [
            (
                ErrorCode::ReauthorizationRequired,
                TestCode::ReauthorizationRequired,
            ),
            (ErrorCode::InvalidConfig, TestCode::InvalidConfig),
            (
                ErrorCode::Field(FieldCode::Required),
                TestCode::InvalidConfig,
            ),
            (ErrorCode::RateLimited, TestCode::RateLimited),
            (ErrorCode::Hibernating, TestCode::Hibernating),
            (ErrorCode::Timeout, TestCode::Unreachable),
            (ErrorCode::TokenEndpointUnavailable, TestCode::ServerError),
            (ErrorCode::InvalidClient, TestCode::Unauthorized),
            (
                ErrorCode::InvalidTokenResponse,
                TestCode::UnexpectedResponse,
            ),
        ];
        for (error, test) in cases {
            let result = TestResult::from_error(&Error::new(error, "m"));
            assert_eq!(result.code, test, "{error:?}");
            assert!(!result.ok);
        }
        assert_eq!(TestCode::NotFound.as_str(), "not_found");
    }

    #[test]
    fn forwarded_urls_stay_below_api_now() {
        let config = basic();
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
        for bad_query in ["a=1#frag", "a=<b>", "a=\r\n", "a= b"] {
            assert!(
                api_request_url(&config, "table/x", Some(bad_query)).is_err(),
                "{bad_query}"
            );
        }
    }

    #[test]
    fn basic_header_errors_surface() {
        let mut config = basic();
        if let Auth::Basic(credentials) = &mut config.auth {
            credentials.username = "a:b".to_owned();
        }
        let error = authorization_header(&config, None).unwrap_err();
        assert_eq!(error.code.as_str(), "username_contains_colon");
    }
}
