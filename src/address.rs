//! The URLs a connection sends to, read by the WHATWG URL standard that `fetch` follows (the `url`
//! crate), so the host the core approves is the host `fetch` connects to: `https://0x7f000001/` is
//! 127.0.0.1 here as it is there, and `https://a%2eexample/` is `a.example`.
//!
//! A URL field must be absolute `https:` (plain `http:` only for loopback hosts and only when the
//! caller allows insecure loopback), without user info or fragment, and with a query only where the
//! field admits one; each problem is reported with its own code. On top of the standard, host names
//! must be LDH names (RFC 1123 §2.1) in ASCII: with the ASCII-only IDNA back end, a non-ASCII name
//! cannot be converted, and the message asks for its `xn--` form. Hosts written as IP addresses are
//! classified (RFC 6890 special-purpose registries): loopback (127/8, `::1`, `0/8`, `::`, and the
//! names `localhost` and `*.localhost` of RFC 6761 §6.3) only with `allowInsecureLoopback`; private
//! (10/8, 172.16/12, 192.168/16, 100.64/10 CGNAT, fc00::/7) only with `allowPrivateNetwork`;
//! link-local (169.254/16, where cloud metadata services answer, and fe80::/10), multicast,
//! broadcast and reserved ranges never. IPv4-mapped and IPv4-compatible IPv6 forms count as the
//! IPv4 address they carry. A DNS name that resolves to such an address cannot be seen from here;
//! the network the caller runs in must stop that.

use core::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, ParseError, Url};

use crate::error::{FieldCode, FieldError};
use crate::field::label;

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

/// The class of a parsed host.
pub(crate) fn host_class(host: &Host<&str>) -> AddressClass {
    match host {
        Host::Domain(name) => {
            if *name == "localhost" || name.ends_with(".localhost") {
                AddressClass::Loopback
            } else {
                AddressClass::Public
            }
        }
        Host::Ipv4(ip) => ipv4_class(*ip),
        Host::Ipv6(ip) => ipv6_class(*ip),
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

/// `scheme://host[:port]`: where requests go, without path.
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// Parses and checks one URL field, recording each problem. Returns the URL whenever it parses, so
/// that callers can check more (the API path) and report everything at once; whether it passed is
/// whether `errors` grew.
pub(crate) fn check_url(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    rules: UrlRules,
) -> Option<Url> {
    let name = label(field);
    let mut refuse = |code: FieldCode, message: String| {
        errors.push(FieldError::new(field, code, message));
    };
    let url = match Url::parse(value) {
        Ok(url) => url,
        Err(problem) => {
            let (code, message) = match problem {
                ParseError::IdnaError | ParseError::InvalidDomainCharacter => (
                    FieldCode::InvalidHost,
                    format!(
                        "{name} has an invalid host name: use letters, digits and hyphens, and enter internationalised names in their punycode (xn--) form."
                    ),
                ),
                ParseError::EmptyHost
                | ParseError::InvalidIpv4Address
                | ParseError::InvalidIpv6Address => (
                    FieldCode::InvalidHost,
                    format!("{name} has an invalid host."),
                ),
                ParseError::InvalidPort => (
                    FieldCode::InvalidPort,
                    format!("{name} has an invalid port: use a number from 1 to 65535."),
                ),
                _ => (
                    FieldCode::InvalidUrl,
                    format!("{name} must be an absolute URL starting with https://."),
                ),
            };
            refuse(code, message);
            return None;
        }
    };
    let https = match url.scheme() {
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
    let Some(host) = url.host() else {
        refuse(FieldCode::InvalidHost, format!("{name} has no host."));
        return None;
    };
    if let Host::Domain(domain) = host
        && !is_ldh_name(domain)
    {
        refuse(
            FieldCode::InvalidHost,
            format!(
                "{name} has an invalid host name: use letters, digits and hyphens, and enter internationalised names in their punycode (xn--) form."
            ),
        );
        return Some(url);
    }
    let class = host_class(&host);
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
    if url.port() == Some(0) {
        refuse(
            FieldCode::InvalidPort,
            format!("{name} has an invalid port: use a number from 1 to 65535."),
        );
    }
    if !url.username().is_empty() || url.password().is_some() {
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
    if url.fragment().is_some() {
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
        let url = Url::parse(url).unwrap();
        host_class(&url.host().unwrap())
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
        let url = Url::parse("HTTPS://Dev8954.Service-Now.com:443/api/now/v2").unwrap();
        assert_eq!(origin(&url), "https://dev8954.service-now.com");
        let url = Url::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(origin(&url), "http://[::1]:8080");
        let url = Url::parse("https://0x7f000001:9901/").unwrap();
        assert_eq!(origin(&url), "https://127.0.0.1:9901");
    }
}
