//! The subset of RFC 3986 URLs a connection uses: `http(s)://host[:port][/path][?query][#fragment]`.
//!
//! A general URL library (WHATWG parsing, IDNA tables) would cost more wasm than the rest of the crate
//! together, and its leniency is unwelcome here: a connection URL is something to check, not to repair.
//! This module splits a URL into its parts without guessing, so that the validation in `config.rs` can
//! report each problem (scheme, user info, host, port, query, fragment) by name. Hosts are ASCII DNS
//! names, dotted IPv4 or bracketed IPv6; internationalised names must be given in their `xn--` form.

/// Why a string is not a URL of the accepted shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// Not `scheme://authority...`, or characters that must be percent-encoded.
    NotAbsolute,
    /// Characters outside RFC 3986's set in the path, query or fragment.
    InvalidCharacters,
    /// The scheme is neither `http` nor `https`.
    UnsupportedScheme,
    /// The host is empty or not a DNS name, IPv4 or IPv6 literal.
    InvalidHost,
    /// The port is not a number from 1 to 65535.
    InvalidPort,
}

/// A URL split into the parts a connection checks. The host is lower-case; the port is `None` when it
/// was absent or the scheme's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WebUrl {
    pub(crate) https: bool,
    pub(crate) has_userinfo: bool,
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    pub(crate) path: String,
    pub(crate) query: Option<String>,
    pub(crate) fragment: Option<String>,
}

impl WebUrl {
    /// `scheme://host[:port]`, the instance's origin.
    pub(crate) fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(port) => format!("{scheme}://{}:{port}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }

    /// The URL without user info and fragment: what requests are sent to.
    pub(crate) fn serialize(&self) -> String {
        let mut out = self.origin();
        out.push_str(&self.path);
        if let Some(query) = &self.query {
            out.push('?');
            out.push_str(query);
        }
        out
    }

    /// Loopback hosts: `localhost`, 127.0.0.0/8 and `[::1]` (RFC 6761 §6.3, RFC 8252 §8.3).
    pub(crate) fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self.host == "[::1]"
            || (self.host.starts_with("127.") && is_ipv4(&self.host))
    }
}

/// Splits `input` into a [`WebUrl`]. The caller has already refused control characters and trimmed.
pub(crate) fn parse(input: &str) -> Result<WebUrl, UrlProblem> {
    let (scheme, rest) = input.split_once(':').ok_or(UrlProblem::NotAbsolute)?;
    let rest = rest.strip_prefix("//").ok_or(UrlProblem::NotAbsolute)?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" => false,
        other if is_scheme(other) => return Err(UrlProblem::UnsupportedScheme),
        _ => return Err(UrlProblem::NotAbsolute),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest
        .split_at_checked(authority_end)
        .ok_or(UrlProblem::NotAbsolute)?;
    let (has_userinfo, host_port) = match authority.rsplit_once('@') {
        Some((_, host_port)) => (true, host_port),
        None => (false, authority),
    };
    let (host, port) = split_host_port(host_port)?;
    let default_port = if https { 443 } else { 80 };

    let (before_fragment, fragment) = match tail.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (tail, None),
    };
    let (path, query) = match before_fragment.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (before_fragment, None),
    };
    let valid_path = path.bytes().all(|b| is_pchar(b) || b == b'/');
    let valid_query = query.is_none_or(|q| q.bytes().all(is_query_char));
    let valid_fragment = fragment.is_none_or(|f| f.bytes().all(is_query_char));
    if !(valid_path && valid_query && valid_fragment) {
        return Err(UrlProblem::InvalidCharacters);
    }
    Ok(WebUrl {
        https,
        has_userinfo,
        host,
        port: port.filter(|&p| p != default_port),
        path: path.to_owned(),
        query: query.map(str::to_owned),
        fragment: fragment.map(str::to_owned),
    })
}

fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn split_host_port(host_port: &str) -> Result<(String, Option<u16>), UrlProblem> {
    let (host, port) = if let Some(after_bracket) = host_port.strip_prefix('[') {
        let (literal, rest) = after_bracket
            .split_once(']')
            .ok_or(UrlProblem::InvalidHost)?;
        if !is_ipv6(literal) {
            return Err(UrlProblem::InvalidHost);
        }
        let port = match rest {
            "" => None,
            _ => Some(rest.strip_prefix(':').ok_or(UrlProblem::InvalidHost)?),
        };
        (format!("[{}]", literal.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        };
        let host = host.to_ascii_lowercase();
        if !(is_ipv4(&host) || is_dns_name(&host)) {
            return Err(UrlProblem::InvalidHost);
        }
        (host, port)
    };
    let port = match port {
        None => None,
        Some(digits) => Some(parse_port(digits).ok_or(UrlProblem::InvalidPort)?),
    };
    Ok((host, port))
}

fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|&port| port != 0)
}

/// An LDH host name (RFC 1123 §2.1): labels of letters, digits and inner hyphens, at most 63 octets
/// each and 253 in all. The last label must not be all digits, so `1.2.3.999` is no name.
fn is_dns_name(host: &str) -> bool {
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let labels_ok = host.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    let last_not_numeric = host
        .rsplit('.')
        .next()
        .is_some_and(|last| !last.bytes().all(|b| b.is_ascii_digit()));
    labels_ok && last_not_numeric
}

fn is_ipv4(host: &str) -> bool {
    let mut count = 0;
    for octet in host.split('.') {
        count += 1;
        let canonical = !octet.is_empty()
            && octet.len() <= 3
            && octet.bytes().all(|b| b.is_ascii_digit())
            && (octet == "0" || !octet.starts_with('0'));
        if !canonical || octet.parse::<u8>().is_err() {
            return false;
        }
    }
    count == 4
}

/// A loose but safe check of an IPv6 literal: hex groups and colons, optionally an IPv4 tail, with
/// at most one `::`. Zone identifiers are refused (they have no meaning outside one machine).
fn is_ipv6(literal: &str) -> bool {
    let stray_colon = (literal.starts_with(':') && !literal.starts_with("::"))
        || (literal.ends_with(':') && !literal.ends_with("::"));
    // Overlapping pairs, so ":::" counts twice and is refused with two "::".
    let double_colons = literal
        .as_bytes()
        .windows(2)
        .filter(|pair| *pair == b"::")
        .count();
    if literal.len() < 2 || literal.len() > 45 || double_colons > 1 || stray_colon {
        return false;
    }
    let (groups_part, has_ipv4_tail) = match literal.rsplit_once(':') {
        Some((head, tail)) if tail.contains('.') => {
            if !is_ipv4(tail) {
                return false;
            }
            (head, true)
        }
        _ => (literal, false),
    };
    let groups: Vec<&str> = groups_part.split(':').collect();
    let compressed = double_colons == 1;
    let max_groups = if has_ipv4_tail { 6 } else { 8 };
    let non_empty = groups.iter().filter(|g| !g.is_empty()).count();
    let groups_valid = groups
        .iter()
        .all(|g| g.len() <= 4 && g.bytes().all(|b| b.is_ascii_hexdigit()));
    groups_valid
        && literal.contains(':')
        && if compressed {
            non_empty < max_groups
        } else {
            non_empty == max_groups && groups.len() == max_groups
        }
}

/// RFC 3986 `pchar` (unreserved / pct-encoded / sub-delims / ":" / "@"), with `%` accepted as the
/// start of an escape; escapes themselves are checked where they matter (`instance.rs`).
pub(crate) fn is_pchar(b: u8) -> bool {
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

pub(crate) fn is_query_char(b: u8) -> bool {
    is_pchar(b) || b == b'/' || b == b'?'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_servicenow_base_url() {
        let url = parse("HTTPS://Dev8954.Service-Now.com/api/now/v2").unwrap();
        assert!(url.https);
        assert_eq!(url.host, "dev8954.service-now.com");
        assert_eq!(url.port, None);
        assert_eq!(url.path, "/api/now/v2");
        assert_eq!(url.origin(), "https://dev8954.service-now.com");
        assert!(!url.is_loopback());
    }

    #[test]
    fn keeps_non_default_ports_and_drops_default_ones() {
        assert_eq!(parse("https://a.example:8443/x").unwrap().port, Some(8443));
        assert_eq!(parse("https://a.example:443/x").unwrap().port, None);
        assert_eq!(parse("http://127.0.0.1:80/").unwrap().port, None);
        assert_eq!(
            parse("http://127.0.0.1:8080").unwrap().origin(),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn separates_userinfo_query_and_fragment() {
        let url = parse("https://u:p@host.example/p?q=1#frag").unwrap();
        assert!(url.has_userinfo);
        assert_eq!(url.host, "host.example");
        assert_eq!(url.query.as_deref(), Some("q=1"));
        assert_eq!(url.fragment.as_deref(), Some("frag"));
        assert_eq!(url.serialize(), "https://host.example/p?q=1");
    }

    #[test]
    fn recognises_loopback_hosts() {
        for host in [
            "http://localhost:1",
            "http://127.0.0.1:2",
            "http://127.9.8.7",
            "http://[::1]:3/",
        ] {
            assert!(parse(host).unwrap().is_loopback(), "{host}");
        }
        for host in [
            "http://localhost.example",
            "http://128.0.0.1",
            "http://[::2]",
            "http://127.example",
        ] {
            assert!(!parse(host).unwrap().is_loopback(), "{host}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_absolute_url() {
        for input in [
            "",
            "dev8954.service-now.com",
            "/api/now",
            "https:/x",
            "1https://x",
        ] {
            assert_eq!(parse(input), Err(UrlProblem::NotAbsolute), "{input}");
        }
        for input in ["ftp://x.example", "javascript://x", "file://host/etc"] {
            assert_eq!(parse(input), Err(UrlProblem::UnsupportedScheme), "{input}");
        }
    }

    #[test]
    fn refuses_bad_hosts() {
        for input in [
            "https://",
            "https:///path",
            "https://-bad.example",
            "https://bad-.example",
            "https://a..b",
            "https://a.example.",
            "https://under_score.example",
            "https://exämple.com",
            "https://1.2.3.999",
            "https://01.2.3.4",
            "https://[::1",
            "https://[zz::1]",
            "https://[1:2:3:4:5:6:7:8:9]",
            "https://[1::2::3]",
            "https://[1:::2]",
            "https://[:1::2]",
            "https://[1::2:]",
            "https://[fe80::1%25eth0]",
            "https://[::1]x",
            "https://%61.example",
        ] {
            assert_eq!(parse(input), Err(UrlProblem::InvalidHost), "{input}");
        }
        let long_label = format!("https://{}.example", "a".repeat(64));
        assert_eq!(parse(&long_label), Err(UrlProblem::InvalidHost));
    }

    #[test]
    fn accepts_ipv4_and_ipv6_literals() {
        assert_eq!(parse("https://10.0.0.1/x").unwrap().host, "10.0.0.1");
        assert_eq!(
            parse("https://[2001:DB8::1]:8443").unwrap().host,
            "[2001:db8::1]"
        );
        assert_eq!(
            parse("https://[::ffff:192.0.2.1]").unwrap().host,
            "[::ffff:192.0.2.1]"
        );
        assert!(parse("https://[1:2:3:4:5:6:7:8]").is_ok());
    }

    #[test]
    fn refuses_bad_ports() {
        for input in [
            "https://h.example:",
            "https://h.example:0",
            "https://h.example:65536",
            "https://h.example:12a",
            "https://h.example:+1",
            "https://h.example:000443",
        ] {
            assert_eq!(parse(input), Err(UrlProblem::InvalidPort), "{input}");
        }
    }

    #[test]
    fn refuses_characters_that_need_encoding() {
        for input in [
            "https://h.example/a b",
            "https://h.example/ä",
            "https://h.example/a\\b",
            "https://h.example/?q=<x>",
            "https://h.example/#a b",
        ] {
            assert_eq!(parse(input), Err(UrlProblem::InvalidCharacters), "{input}");
        }
    }
}
