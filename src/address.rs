//! The URLs a connection sends to, read by the WHATWG URL standard that `fetch` follows, so the host
//! the core approves is the host `fetch` connects to: `https://0x7f000001/` is 127.0.0.1 here as it
//! is there, and `https://a%2eexample/` is `a.example`. In the wasm the parser is the platform's own
//! `URL` (the very one its `fetch` uses; in workerd the standard one of its `url_standard`
//! compatibility flag, on for current compatibility dates); natively it is the `url` crate. Both sit
//! behind [`parse`], and everything else here reads only what that function returns, so the rules
//! are the same code on both sides (the package tests run them in the wasm from the same table of
//! cases, `tests/fixtures/url-cases.json`, as the native tests).
//!
//! A URL field must be absolute `https:` (plain `http:` only for loopback hosts and only when the
//! caller allows insecure loopback), without user info or fragment, and with a query only where the
//! field admits one; each problem is reported with its own code. On top of the standard, host names
//! must be LDH names (RFC 1123 §2.1) in ASCII: a non-ASCII name is refused before parsing (the
//! platform's parser would convert it, the native one cannot), and the message asks for its `xn--`
//! form. Hosts written as IP addresses are classified (RFC 6890 special-purpose registries): loopback
//! (127/8, `::1`, `0/8`, `::`, and the names `localhost` and `*.localhost` of RFC 6761 §6.3) only
//! with `allowInsecureLoopback`; private (10/8, 172.16/12, 192.168/16, 100.64/10 CGNAT, fc00::/7)
//! only with `allowPrivateNetwork`; link-local (169.254/16, where cloud metadata services answer,
//! and fe80::/10), multicast, broadcast and reserved ranges never. IPv4-mapped and IPv4-compatible
//! IPv6 forms count as the IPv4 address they carry. A DNS name that resolves to such an address
//! cannot be seen from here; the network the caller runs in must stop that.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{FieldCode, FieldError};
use crate::field::label;

/// A URL as the WHATWG parser serialises it: what the rules and the callers read of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WebUrl {
    href: String,
    scheme: String,
    /// The host as serialised: a lower-case name, dotted-decimal IPv4, or bracketed IPv6.
    host: String,
    /// `None` when absent or the scheme's default.
    port: Option<u16>,
    path: String,
    query: Option<String>,
    has_fragment: bool,
    has_userinfo: bool,
}

impl WebUrl {
    /// The path, percent-encoded as the parser left it.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The query without `?`; `Some("")` for a bare `?`.
    pub(crate) fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.href)
    }
}

/// Parses `value` by the WHATWG URL standard; `None` when the standard refuses it.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn parse(value: &str) -> Option<WebUrl> {
    let url = url::Url::parse(value).ok()?;
    Some(WebUrl {
        scheme: url.scheme().to_owned(),
        host: url.host_str().unwrap_or_default().to_owned(),
        port: url.port(),
        path: url.path().to_owned(),
        query: url.query().map(str::to_owned),
        has_fragment: url.fragment().is_some(),
        has_userinfo: !url.username().is_empty() || url.password().is_some(),
        href: url.into(),
    })
}

/// `value` serialised by the WHATWG URL standard (what `fetch` sends); `None` when the standard
/// refuses it. Reads only the serialisation, for callers that compare it with what they wrote.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn serialize(value: &str) -> Option<String> {
    url::Url::parse(value).ok().map(Into::into)
}

/// `value` serialised by the WHATWG URL standard (what `fetch` sends); `None` when the standard
/// refuses it. Reads only the serialisation, for callers that compare it with what they wrote.
#[cfg(target_arch = "wasm32")]
pub(crate) fn serialize(value: &str) -> Option<String> {
    web_sys::Url::new(value).ok().map(|url| url.href())
}

/// Parses `value` by the WHATWG URL standard; `None` when the standard refuses it. The platform's
/// `URL`: the parser its `fetch` uses, and no parser in the wasm.
#[cfg(target_arch = "wasm32")]
pub(crate) fn parse(value: &str) -> Option<WebUrl> {
    let url = web_sys::Url::new(value).ok()?;
    let href = url.href();
    // `search` and `hash` read "" for an empty query or fragment as for none, so both are taken
    // from the serialisation, where the first `?` starts the query and the first `#` the fragment
    // (the standard percent-encodes them everywhere before).
    let (before_fragment, fragment) = match href.split_once('#') {
        Some((before, _)) => (before, true),
        None => (href.as_str(), false),
    };
    let query = before_fragment.split_once('?').map(|(_, q)| q.to_owned());
    let scheme = url.protocol();
    Some(WebUrl {
        scheme: scheme.strip_suffix(':').unwrap_or(&scheme).to_owned(),
        host: url.hostname(),
        port: url.port().parse().ok(),
        path: url.pathname(),
        query,
        has_fragment: fragment,
        has_userinfo: !url.username().is_empty() || !url.password().is_empty(),
        href,
    })
}

/// Which URL features and hosts a field admits.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct UrlRules {
    /// `http:` on loopback hosts, and loopback hosts at all (local development).
    pub(crate) allow_insecure_loopback: bool,
    /// Private-range IP hosts (on-premise instances).
    pub(crate) allow_private_network: bool,
    /// A query string.
    pub(crate) allow_query: bool,
    /// Whether the crate sends requests to this URL itself (then the address ranges apply).
    pub(crate) sends_to: bool,
}

/// What kind of network a host is on, as far as its spelling tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AddressClass {
    /// A DNS name or a public address.
    Public,
    /// This machine.
    Loopback,
    /// A private network.
    Private,
    /// Link-local, multicast, broadcast, documentation or otherwise reserved: never a server.
    Reserved,
}

/// What a serialised host is: the standard writes IPv6 in brackets and IPv4 in dotted decimal, so
/// whatever reads as neither is a name.
enum Host<'a> {
    Domain(&'a str),
    Ipv4(Ipv4Addr),
    Ipv6(Option<Ipv6Addr>),
}

fn host_of(host: &str) -> Host<'_> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Host::Ipv6(inner.parse().ok())
    } else if let Ok(ip) = host.parse() {
        Host::Ipv4(ip)
    } else {
        Host::Domain(host)
    }
}

/// The class of a parsed URL's host.
pub(crate) fn host_class(url: &WebUrl) -> AddressClass {
    match host_of(&url.host) {
        Host::Domain(name) => {
            if name == "localhost" || name.ends_with(".localhost") {
                AddressClass::Loopback
            } else {
                AddressClass::Public
            }
        }
        Host::Ipv4(ip) => ipv4_class(ip),
        // The parser's own serialisation always reads back; anything else is no server.
        Host::Ipv6(ip) => ip.map_or(AddressClass::Reserved, ipv6_class),
    }
}

fn ipv4_class(ip: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() || a == 0 {
        AddressClass::Loopback
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        AddressClass::Private
    } else if ip.is_link_local() || ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

fn ipv6_class(ip: Ipv6Addr) -> AddressClass {
    let segments = ip.segments();
    let first = segments.first().copied().unwrap_or(0);
    // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated) reach the IPv4 address.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return ipv4_class(v4);
    }
    if ip.is_loopback() || ip.is_unspecified() {
        return AddressClass::Loopback;
    }
    if segments.get(..6) == Some(&[0; 6]) {
        return ip.to_ipv4().map_or(AddressClass::Reserved, ipv4_class);
    }
    if first & 0xfe00 == 0xfc00 {
        AddressClass::Private
    } else if first & 0xffc0 == 0xfe80 || ip.is_multicast() {
        AddressClass::Reserved
    } else {
        AddressClass::Public
    }
}

/// `scheme://host[:port]`: where requests go, without path (the standard's serialisation of an
/// http(s) origin).
pub(crate) fn origin(url: &WebUrl) -> String {
    match url.port {
        Some(port) => format!("{}://{}:{port}", url.scheme, url.host),
        None => format!("{}://{}", url.scheme, url.host),
    }
}

/// The part of a URL's text that names its host and port (after the scheme, the slashes or
/// backslashes the standard skips there, and any user info), found only to say which part to blame
/// and to spot non-ASCII names: whether a URL is accepted is the parser's call alone.
fn authority(value: &str) -> Option<(&str, Option<&str>)> {
    let (_, rest) = value.split_once(':')?;
    let rest = rest.trim_start_matches(['/', '\\']);
    let authority = rest.split(['/', '\\', '?', '#']).next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, after)| after);
    Some(if host_port.starts_with('[') {
        match host_port.split_once(']') {
            Some((inside, after)) => (
                host_port.get(..=inside.len()).unwrap_or(host_port),
                after.strip_prefix(':'),
            ),
            None => (host_port, None),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    })
}

/// Why the parser refused `value`: its host, its port, or the whole, found by parsing the host and
/// then host and port on their own with the same parser.
fn refusal(value: &str, name: &str) -> (FieldCode, String) {
    let invalid_url = || {
        (
            FieldCode::InvalidUrl,
            format!("{name} must be an absolute URL starting with https://."),
        )
    };
    let Some((host, port)) = authority(value) else {
        return invalid_url();
    };
    if parse(&format!("https://{host}/")).is_none() {
        let ldh_characters = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        return if host.is_empty() || host.starts_with('[') || ldh_characters {
            (
                FieldCode::InvalidHost,
                format!("{name} has an invalid host."),
            )
        } else {
            (FieldCode::InvalidHost, ldh_message(name))
        };
    }
    match port {
        Some(port) if parse(&format!("https://{host}:{port}/")).is_none() => (
            FieldCode::InvalidPort,
            format!("{name} has an invalid port: use a number from 1 to 65535."),
        ),
        _ => invalid_url(),
    }
}

fn ldh_message(name: &str) -> String {
    format!(
        "{name} has an invalid host name: use letters, digits and hyphens, and enter internationalised names in their punycode (xn--) form."
    )
}

/// Whether the parser turned a Unicode name (percent-encoded, since raw non-ASCII is refused
/// before parsing) into punycode: an `xn--` label of the result that the text does not contain.
fn converted_to_punycode(value: &str, host: &str) -> bool {
    host.split('.')
        .filter(|label| label.starts_with("xn--"))
        .any(|label| !value.to_ascii_lowercase().contains(label))
}

/// Parses and checks one URL field, recording each problem. Returns the URL whenever it parses, so
/// that callers can check more (the API path) and report everything at once; whether it passed is
/// whether `errors` grew.
pub(crate) fn check_url(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    rules: UrlRules,
) -> Option<WebUrl> {
    let name = label(field);
    let mut refuse = |code: FieldCode, message: String| {
        errors.push(FieldError::new(field, code, message));
    };
    // The platform's parser would convert a Unicode host name to punycode, the native one cannot:
    // both refuse it here, with the remedy.
    if authority(value).is_some_and(|(host, _)| !host.is_ascii()) {
        refuse(FieldCode::InvalidHost, ldh_message(name));
        return None;
    }
    let Some(url) = parse(value) else {
        let (code, message) = refusal(value, name);
        refuse(code, message);
        return None;
    };
    let https = match url.scheme.as_str() {
        "https" => true,
        "http" => false,
        _ => {
            refuse(
                FieldCode::UnsupportedScheme,
                format!("{name} must use https://."),
            );
            return None;
        }
    };
    if url.host.is_empty() {
        refuse(FieldCode::InvalidHost, format!("{name} has no host."));
        return None;
    }
    if let Host::Domain(domain) = host_of(&url.host)
        && (!is_ldh_name(domain) || converted_to_punycode(value, domain))
    {
        refuse(FieldCode::InvalidHost, ldh_message(name));
        return Some(url);
    }
    let class = host_class(&url);
    let loopback = class == AddressClass::Loopback;
    if !(https || (loopback && rules.allow_insecure_loopback)) {
        let message = if loopback {
            format!(
                "{name} must use https:// (plain http is accepted for loopback hosts only when insecure loopback is allowed)."
            )
        } else {
            format!("{name} must use https://.")
        };
        refuse(FieldCode::InsecureScheme, message);
    }
    if rules.sends_to {
        match class {
            // Plain http on loopback is already refused above, with the same remedy.
            AddressClass::Loopback if https && !rules.allow_insecure_loopback => refuse(
                FieldCode::LoopbackAddress,
                format!(
                    "{name} points to this machine (a loopback address), which is accepted only for local development when insecure loopback is allowed."
                ),
            ),
            AddressClass::Private if !rules.allow_private_network => refuse(
                FieldCode::PrivateAddress,
                format!(
                    "{name} points to a private network address, which is accepted only when private networks are allowed (allowPrivateNetwork, for on-premise instances)."
                ),
            ),
            AddressClass::Reserved => refuse(
                FieldCode::ReservedAddress,
                format!(
                    "{name} points to a link-local, multicast or reserved address, which no instance has."
                ),
            ),
            _ => {}
        }
    }
    if url.port == Some(0) {
        refuse(
            FieldCode::InvalidPort,
            format!("{name} has an invalid port: use a number from 1 to 65535."),
        );
    }
    if url.has_userinfo {
        refuse(
            FieldCode::UserinfoNotAllowed,
            format!("{name} must not contain a user name or password; use the credential fields."),
        );
    }
    if url.query().is_some() && !rules.allow_query {
        refuse(
            FieldCode::QueryNotAllowed,
            format!("{name} must not contain a query string (?...)."),
        );
    }
    if url.has_fragment {
        refuse(
            FieldCode::FragmentNotAllowed,
            format!("{name} must not contain a fragment (#...)."),
        );
    }
    Some(url)
}

/// An LDH host name (RFC 1123 §2.1) as WHATWG leaves it (lower-case ASCII): labels of letters,
/// digits and inner hyphens, at most 63 octets each and 253 in all, no empty label.
fn is_ldh_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class_of(url: &str) -> AddressClass {
        host_class(&parse(url).unwrap())
    }

    fn codes(url: &str, rules: UrlRules) -> Vec<&'static str> {
        let mut errors = Vec::new();
        check_url(&mut errors, "baseUrl", url, rules);
        errors.iter().map(|e| e.code.as_str()).collect()
    }

    const SENDS: UrlRules = UrlRules {
        allow_insecure_loopback: false,
        allow_private_network: false,
        allow_query: false,
        sends_to: true,
    };

    #[test]
    fn hosts_are_what_fetch_connects_to() {
        for (url, class) in [
            ("https://0x7f000001:9901/api/now", AddressClass::Loopback),
            ("https://2130706433/", AddressClass::Loopback),
            ("https://0177.0.0.1/", AddressClass::Loopback),
            ("https://127.1/", AddressClass::Loopback),
            ("https://0.0.0.0/", AddressClass::Loopback),
            ("https://[::1]/", AddressClass::Loopback),
            ("https://[::]/", AddressClass::Loopback),
            ("https://[::ffff:127.0.0.1]/", AddressClass::Loopback),
            ("https://[::ffff:7f00:1]/", AddressClass::Loopback),
            ("https://[::127.0.0.1]/", AddressClass::Loopback),
            ("https://localhost/", AddressClass::Loopback),
            ("https://LOCALHOST/", AddressClass::Loopback),
            ("https://api.localhost/", AddressClass::Loopback),
            ("https://10.1.2.3/", AddressClass::Private),
            ("https://0xa.1.2.3/", AddressClass::Private),
            ("https://172.16.0.1/", AddressClass::Private),
            ("https://172.31.255.255/", AddressClass::Private),
            ("https://192.168.1.1/", AddressClass::Private),
            ("https://100.64.0.1/", AddressClass::Private),
            ("https://100.127.255.255/", AddressClass::Private),
            ("https://[fc00::1]/", AddressClass::Private),
            ("https://[fd12:3456::1]/", AddressClass::Private),
            ("https://[::ffff:10.0.0.1]/", AddressClass::Private),
            ("https://169.254.169.254/", AddressClass::Reserved),
            ("https://[fe80::1]/", AddressClass::Reserved),
            ("https://[::ffff:169.254.169.254]/", AddressClass::Reserved),
            ("https://224.0.0.1/", AddressClass::Reserved),
            ("https://255.255.255.255/", AddressClass::Reserved),
            ("https://240.0.0.1/", AddressClass::Reserved),
            ("https://[ff02::1]/", AddressClass::Reserved),
            ("https://172.32.0.1/", AddressClass::Public),
            ("https://100.128.0.1/", AddressClass::Public),
            ("https://8.8.8.8/", AddressClass::Public),
            ("https://[2001:db8::1]/", AddressClass::Public),
            ("https://localhost.example/", AddressClass::Public),
            ("https://dev1.service-now.com/", AddressClass::Public),
        ] {
            assert_eq!(class_of(url), class, "{url}");
        }
    }

    #[test]
    fn loopback_and_private_hosts_need_their_switch() {
        assert_eq!(
            codes("https://0x7f000001:9901/api/now", SENDS),
            ["loopback_address"]
        );
        let loopback = UrlRules {
            allow_insecure_loopback: true,
            ..SENDS
        };
        assert!(codes("https://0x7f000001:9901/api/now", loopback).is_empty());
        assert!(codes("http://localhost:8080/", loopback).is_empty());
        assert_eq!(codes("http://127.0.0.1:8080/", SENDS), ["insecure_scheme"]);
        assert_eq!(codes("https://10.0.0.5/", SENDS), ["private_address"]);
        assert_eq!(codes("https://10.0.0.5/", loopback), ["private_address"]);
        let private = UrlRules {
            allow_private_network: true,
            ..SENDS
        };
        assert!(codes("https://10.0.0.5/", private).is_empty());
        assert_eq!(codes("https://127.0.0.1/", private), ["loopback_address"]);
        assert_eq!(codes("http://10.0.0.5/", private), ["insecure_scheme"]);
        let everything = UrlRules {
            allow_insecure_loopback: true,
            allow_private_network: true,
            ..SENDS
        };
        for url in [
            "https://169.254.169.254/latest/meta-data",
            "https://[fe80::1]/",
            "https://224.0.0.1/",
        ] {
            assert_eq!(codes(url, everything), ["reserved_address"], "{url}");
        }
        // A URL the crate never sends to (a redirect URI) keeps only the scheme rule.
        let browser = UrlRules {
            sends_to: false,
            ..SENDS
        };
        assert!(codes("https://10.0.0.5/cb", browser).is_empty());
        assert!(codes("https://127.0.0.1/cb", browser).is_empty());
    }

    #[test]
    fn host_names_are_ascii_ldh() {
        assert_eq!(codes("https://bücher.example/", SENDS), ["invalid_host"]);
        // Capitals beside non-ASCII letters go through the IDNA mapping first.
        assert_eq!(codes("https://Bücher.EXAMPLE/", SENDS), ["invalid_host"]);
        assert_eq!(codes("https://BÜCHER.example/", SENDS), ["invalid_host"]);
        assert!(codes("https://xn--bcher-kva.example/", SENDS).is_empty());
        let mut errors = Vec::new();
        check_url(&mut errors, "tokenUrl", "https://bücher.example/", SENDS);
        assert!(errors[0].message.contains("xn--"), "{}", errors[0].message);
        assert!(errors[0].message.starts_with("Access Token URL "));
        for url in [
            "https://under_score.example/",
            "https://-bad.example/",
            "https://bad-.example/",
            "https://a..b/",
            "https://a.example./",
            "https://sn example.com/",
            "https://1.2.3.999/",
            "https://[::1/",
            "https://[fe80::1%25eth0]/",
        ] {
            assert_eq!(codes(url, SENDS), ["invalid_host"], "{url}");
        }
        let long_label = format!("https://{}.example/", "a".repeat(64));
        assert_eq!(codes(&long_label, SENDS), ["invalid_host"]);
    }

    #[test]
    fn shapes_have_their_own_codes() {
        assert_eq!(codes("sn.example.com/api/now", SENDS), ["invalid_url"]);
        assert_eq!(codes("ftp://x.example/", SENDS), ["unsupported_scheme"]);
        assert_eq!(codes("javascript://x/", SENDS), ["unsupported_scheme"]);
        assert_eq!(codes("https://h.example:0/", SENDS), ["invalid_port"]);
        assert_eq!(codes("https://h.example:65536/", SENDS), ["invalid_port"]);
        assert_eq!(codes("https://h.example:12a/", SENDS), ["invalid_port"]);
        assert_eq!(
            codes("http://u:p@h.example/?q#f", SENDS),
            [
                "insecure_scheme",
                "userinfo_not_allowed",
                "query_not_allowed",
                "fragment_not_allowed"
            ]
        );
        let query = UrlRules {
            allow_query: true,
            ..SENDS
        };
        assert!(codes("https://h.example/cb?x=1", query).is_empty());
    }

    #[test]
    fn origins_are_serialised_by_the_standard() {
        let url = parse("HTTPS://Dev8954.Service-Now.com:443/api/now/v2").unwrap();
        assert_eq!(origin(&url), "https://dev8954.service-now.com");
        let url = parse("http://[::1]:8080/x").unwrap();
        assert_eq!(origin(&url), "http://[::1]:8080");
        let url = parse("https://0x7f000001:9901/").unwrap();
        assert_eq!(origin(&url), "https://127.0.0.1:9901");
    }
}
