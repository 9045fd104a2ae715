//! Test Connection and the `Authorization` header of requests to the instance.
//!
//! Test Connection reads one row of `sys_db_object` (`GET <base>/table/sys_db_object?sysparm_limit=1&
//! sysparm_fields=name`) with `Accept: application/json` (ServiceNow answers 400 without it), which
//! proves in one call that the host, the API path, the credentials and the user's roles are right.
//! The answer is classified, never thrown: 401 is "User Not Authenticated"; 403 can come from an ACL
//! or a business rule; 404 from a wrong path or version (or an ACL); 429 is a rate limit; a
//! hibernating instance answers its wake-up page (see [`crate::answer`] for reading answers). An OAuth
//! connection with an unattended grant (client credentials, JWT bearer, password) that is tested
//! without tokens first obtains some, so the test covers the grant's settings too; they are not kept.

use serde::{Deserialize, Serialize};
use tsify::Tsify;

use crate::answer::{is_hibernation_page, retry_after_seconds, servicenow_error, transport_error};
use crate::basic::basic_authorization;
use crate::config::{Auth, ConnectionConfig};
use crate::error::{Error, ErrorCode};
use crate::http::{HttpClient, HttpRequest, HttpResponse, Method, TransportError};
use crate::json_limits::answer_object;
use crate::jwt::signer::Signer;
use crate::oauth::grants::request_tokens;
use crate::oauth::token::TokenSet;

/// How a Test Connection ended. The string forms are the stable API.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "snake_case")]
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
    /// Every code.
    pub const ALL: [TestCode; 11] = [
        Self::Ok,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::Hibernating,
        Self::RateLimited,
        Self::Unreachable,
        Self::ServerError,
        Self::UnexpectedResponse,
        Self::ReauthorizationRequired,
        Self::InvalidConfig,
    ];

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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    /// Whether the connection works.
    pub ok: bool,
    /// The classification.
    pub code: TestCode,
    /// The HTTP status, when an answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// What happened.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For `rate_limited`: seconds to wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u64>,
    /// Wall time of the test in milliseconds, when the caller timed it (the JavaScript API does).
    pub elapsed_ms: u64,
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
            elapsed_ms: 0,
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
            ErrorCode::InvalidClient
            | ErrorCode::AccessDenied
            | ErrorCode::InvalidGrant
            | ErrorCode::UnauthorizedClient
            | ErrorCode::UnsupportedGrantType
            | ErrorCode::ClientCredentialsDisabled
            | ErrorCode::ApplicationUserMissing
            | ErrorCode::AssertionRefused
            | ErrorCode::UnknownSubject
            | ErrorCode::PasswordRefused => TestCode::Unauthorized,
            ErrorCode::InteractiveGrant => TestCode::ReauthorizationRequired,
            ErrorCode::SigningFailed => TestCode::InvalidConfig,
            _ => TestCode::UnexpectedResponse,
        };
        let hint = error.hint.or(match (code, error.code) {
            (TestCode::ReauthorizationRequired, _) => Some(HINT_GENERATE),
            (TestCode::Hibernating, _) => Some(HINT_HIBERNATING),
            (TestCode::Unreachable, ErrorCode::Timeout) => Some(HINT_SLOW),
            (TestCode::Unreachable, _) => Some(HINT_UNREACHABLE),
            (_, ErrorCode::SigningFailed) => Some(HINT_PRIVATE_KEY),
            _ => None,
        });
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
const HINT_TOKEN_REFUSED_UNATTENDED: &str = "The access token was refused (expired or revoked). Obtain a new one (Generate, or renew the tokens) and test again.";
const HINT_PRIVATE_KEY: &str = "Check the private key: it must be an unencrypted PKCS#8 RSA key for RS256 or EC P-256 key for ES256.";

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
    let reason = servicenow_error(&response.body)
        .map(|(message, detail)| match detail {
            Some(detail) => format!(": {message} ({detail})"),
            None => format!(": {message}"),
        })
        .unwrap_or_default();
    let basic = matches!(config.auth, Auth::Basic(_));
    let unattended = config
        .oauth()
        .is_some_and(|oauth| !oauth.grant.grant_type().is_interactive());
    let result = match status {
        200..=299 => match answer_object::<TableAnswer>(&response.body).filter(|a| a.result) {
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
            } else if unattended {
                HINT_TOKEN_REFUSED_UNATTENDED
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

/// Runs Test Connection. Without `tokens`, an OAuth connection with an unattended grant first
/// obtains tokens (through `signer` for JWT bearer), which are not kept. Every failure comes back as a
/// classification; nothing is thrown.
pub async fn test_connection<C: HttpClient, S: Signer>(
    client: &C,
    signer: &S,
    config: &ConnectionConfig,
    tokens: Option<&TokenSet>,
    now_ms: u64,
) -> TestResult {
    let unattended = config
        .oauth()
        .is_some_and(|oauth| !oauth.grant.grant_type().is_interactive());
    let obtained;
    let tokens = match tokens {
        None if unattended => match request_tokens(client, signer, config, now_ms).await {
            Ok(tokens) => {
                obtained = tokens;
                Some(&obtained)
            }
            Err(error) => return TestResult::from_error(&error),
        },
        tokens => tokens,
    };
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

/// The Table API's answer: an object with a `result` member (of any value).
#[derive(Deserialize)]
struct TableAnswer {
    #[serde(default, deserialize_with = "present")]
    result: bool,
}

/// `true` for a member that is there, whatever its value.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldCode;
    use crate::test_fixtures::{
        NOW, RecordingSigner, basic_config as basic, oauth_config as oauth, response, token_set,
    };

    fn tokens() -> TokenSet {
        token_set("AT", None)
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
        let result = pollster::block_on(test_connection(
            &down,
            &RecordingSigner::default(),
            &basic(),
            None,
            NOW,
        ));
        assert_eq!(result.code, TestCode::Unreachable);
        assert!(result.message.contains("https://dev1.service-now.com"));
        let slow = |_: HttpRequest| async { Err(TransportError::Timeout) };
        let result = pollster::block_on(test_connection(
            &slow,
            &RecordingSigner::default(),
            &basic(),
            None,
            NOW,
        ));
        assert_eq!(result.code, TestCode::Unreachable);
        assert!(result.message.contains("15000 ms"));
        assert!(result.hint.as_deref().unwrap().contains("slow"));
        let never = |_: HttpRequest| async { panic!("no request expected") };
        let result = pollster::block_on(test_connection(
            &never,
            &RecordingSigner::default(),
            &oauth(),
            None,
            NOW,
        ));
        assert_eq!(result.code, TestCode::ReauthorizationRequired);
        assert!(result.hint.is_some());
    }

    #[test]
    fn test_connection_sends_and_classifies() {
        let client = |request: HttpRequest| async move {
            assert_eq!(request.header("authorization"), Some("Bearer AT"));
            Ok(response(200, JSON, r#"{"result":[]}"#))
        };
        let result = pollster::block_on(test_connection(
            &client,
            &RecordingSigner::default(),
            &oauth(),
            Some(&tokens()),
            NOW,
        ));
        assert!(result.ok);
    }

    #[test]
    fn unattended_grants_obtain_tokens_to_test_with() {
        let mut input = crate::test_fixtures::oauth_input("https://dev1.service-now.com/api/now");
        input.grant_type = Some("client_credentials".to_owned());
        let config = crate::test_fixtures::config(&input);
        let seen = core::cell::RefCell::new(Vec::new());
        let client = |request: HttpRequest| {
            seen.borrow_mut().push(request.url.clone());
            async move {
                if request.url.ends_with("/oauth_token.do") {
                    return Ok(response(
                        200,
                        JSON,
                        r#"{"access_token":"AT-cc","expires_in":1799}"#,
                    ));
                }
                assert_eq!(request.header("authorization"), Some("Bearer AT-cc"));
                Ok(response(200, JSON, r#"{"result":[]}"#))
            }
        };
        let signer = RecordingSigner::default();
        let result = pollster::block_on(test_connection(&client, &signer, &config, None, NOW));
        assert!(result.ok, "{}", result.message);
        assert_eq!(seen.borrow().len(), 2);
        // A refused grant is the result, with the grant's hint.
        let refused = |_: HttpRequest| async {
            Ok(response(
                401,
                JSON,
                r#"{"error":"unauthorized_client","error_description":"integration user is not configured"}"#,
            ))
        };
        let result = pollster::block_on(test_connection(&refused, &signer, &config, None, NOW));
        assert_eq!(result.code, TestCode::Unauthorized);
        assert_eq!(result.status, Some(401));
        assert!(result.hint.unwrap().contains("OAuth Application User"));
        // A token refused by the API: the hint fits a grant that needs no person.
        let api_refused = classify(&config, &response(401, JSON, "{}"));
        assert!(
            api_refused
                .hint
                .unwrap()
                .starts_with("The access token was refused (expired or revoked). Obtain")
        );
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
            (ErrorCode::ClientCredentialsDisabled, TestCode::Unauthorized),
            (ErrorCode::ApplicationUserMissing, TestCode::Unauthorized),
            (ErrorCode::AssertionRefused, TestCode::Unauthorized),
            (ErrorCode::UnknownSubject, TestCode::Unauthorized),
            (ErrorCode::PasswordRefused, TestCode::Unauthorized),
            (ErrorCode::UnauthorizedClient, TestCode::Unauthorized),
            (
                ErrorCode::InteractiveGrant,
                TestCode::ReauthorizationRequired,
            ),
            (ErrorCode::SigningFailed, TestCode::InvalidConfig),
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
    fn results_serialise_as_the_javascript_api_describes() {
        for code in TestCode::ALL {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
        let result = TestResult {
            status: Some(429),
            retry_after_seconds: Some(3),
            elapsed_ms: 12,
            ..TestResult::failed(TestCode::RateLimited, "No \"access\".", None)
        };
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            r#"{"ok":false,"code":"rate_limited","status":429,"message":"No \"access\".","retryAfterSeconds":3,"elapsedMs":12}"#
        );
    }

    #[test]
    fn table_answers_need_a_result_member() {
        for body in [
            r#"{"result":null}"#,
            r#"{"result":[]}"#,
            r#"{"x":1,"result":{}}"#,
        ] {
            assert!(classify(&basic(), &response(200, JSON, body)).ok, "{body}");
        }
        for body in [r#"["result"]"#, r#"{"results":[]}"#, "result"] {
            assert!(!classify(&basic(), &response(200, JSON, body)).ok, "{body}");
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
