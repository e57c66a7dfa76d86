//! `ip("...")` patterns: one address, a range `a-b`, or a CIDR `net/len`,
//! parsed with the strictness of Go's `net/netip` (no leading zeros in IPv4
//! octets, at most four hex digits per IPv6 group) and matched with its
//! semantics (IPv4 and IPv6, including IPv4-mapped IPv6, never mix).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::logql::ast::IpPattern;
use crate::model::go_quote;

/// Parses an `ip()` pattern. The error text is Loki's:
/// `ip: invalid pattern: "not-an-ip"`.
pub fn parse_ip_pattern(pattern: &str) -> Result<IpPattern, String> {
    let invalid = || format!("ip: invalid pattern: {}", go_quote(pattern));
    if let Some((addr, zone)) = parse_addr(pattern) {
        // A zoned address never equals a zoneless one found in a line;
        // kindling keeps no zones, so such a pattern is refused.
        return if zone {
            Err(invalid())
        } else {
            Ok(IpPattern::Addr(addr))
        };
    }
    if let Some(p) = parse_prefix(pattern) {
        return Ok(p);
    }
    parse_range(pattern).ok_or_else(invalid)
}

impl IpPattern {
    /// Whether `addr` falls in the pattern. Address families must match:
    /// an IPv4 pattern never contains an IPv6 (or IPv4-mapped) address.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match *self {
            IpPattern::Addr(a) => a == addr,
            IpPattern::Cidr(net, bits) => match (net, addr) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
                    u32::from(n) & mask == u32::from(a) & mask
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
                    u128::from(n) & mask == u128::from(a) & mask
                }
                _ => false,
            },
            IpPattern::Range(from, to) => match (from, to, addr) {
                (IpAddr::V4(f), IpAddr::V4(t), IpAddr::V4(a)) => f <= a && a <= t,
                (IpAddr::V6(f), IpAddr::V6(t), IpAddr::V6(a)) => f <= a && a <= t,
                _ => false,
            },
        }
    }
}

/// `netip.ParseAddr`: the address and whether it carried a `%zone`.
pub(crate) fn parse_addr(s: &str) -> Option<(IpAddr, bool)> {
    for b in s.bytes() {
        match b {
            b'.' => return parse_v4(s).map(|a| (IpAddr::V4(a), false)),
            b':' => return parse_v6(s).map(|(a, zone)| (IpAddr::V6(a), zone)),
            b'%' => return None,
            _ => {}
        }
    }
    None
}

fn parse_v4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if part.len() > 1 && part.starts_with('0') {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

fn parse_v6(input: &str) -> Option<(Ipv6Addr, bool)> {
    let (mut s, zoned) = match input.split_once('%') {
        Some((_, "")) => return None,
        Some((addr, _)) => (addr, true),
        None => (input, false),
    };
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;
    if let Some(rest) = s.strip_prefix("::") {
        ellipsis = Some(0);
        s = rest;
        if s.is_empty() {
            return Some((Ipv6Addr::UNSPECIFIED, zoned));
        }
    }
    let mut i = 0;
    while i < 16 {
        let digits = s.bytes().take_while(u8::is_ascii_hexdigit).count();
        if digits == 0 || digits > 4 {
            return None;
        }
        if s.as_bytes().get(digits) == Some(&b'.') {
            // Trailing dotted IPv4 in the last 32 bits.
            if (ellipsis.is_none() && i != 12) || i + 4 > 16 {
                return None;
            }
            let v4 = parse_v4(s)?;
            ip[i..i + 4].copy_from_slice(&v4.octets());
            s = "";
            i += 4;
            break;
        }
        let group = u16::from_str_radix(&s[..digits], 16).ok()?;
        ip[i..i + 2].copy_from_slice(&group.to_be_bytes());
        i += 2;
        s = &s[digits..];
        if s.is_empty() {
            break;
        }
        s = s.strip_prefix(':')?;
        if s.is_empty() {
            return None;
        }
        if let Some(rest) = s.strip_prefix(':') {
            if ellipsis.is_some() {
                return None;
            }
            ellipsis = Some(i);
            s = rest;
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return None;
    }
    match ellipsis {
        Some(at) if i < 16 => {
            let n = 16 - i;
            ip.copy_within(at..i, at + n);
            ip[at..at + n].fill(0);
        }
        None if i < 16 => return None,
        Some(_) => return None,
        None => {}
    }
    Some((Ipv6Addr::from(ip), zoned))
}

/// `netip.ParsePrefix`: `addr/bits`, no zone, bits without sign or leading
/// zeros and within the family's width.
fn parse_prefix(s: &str) -> Option<IpPattern> {
    let (addr, bits) = s.rsplit_once('/')?;
    let (addr, zoned) = parse_addr(addr)?;
    if zoned || bits.is_empty() || !bits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if bits.len() > 1 && bits.starts_with('0') {
        return None;
    }
    let bits: u8 = bits.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some(IpPattern::Cidr(addr, bits))
}

/// `netipx.ParseIPRange`: `from-to`, same family, `from <= to`; zones are
/// dropped.
fn parse_range(s: &str) -> Option<IpPattern> {
    let (from, to) = s.split_once('-')?;
    let (from, _) = parse_addr(from)?;
    let (to, _) = parse_addr(to)?;
    let ordered = match (from, to) {
        (IpAddr::V4(f), IpAddr::V4(t)) => f <= t,
        (IpAddr::V6(f), IpAddr::V6(t)) => f <= t,
        _ => false,
    };
    ordered.then_some(IpPattern::Range(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            parse_ip_pattern("192.168.0.1"),
            Ok(IpPattern::Addr(ip("192.168.0.1")))
        );
        assert_eq!(parse_ip_pattern("::1"), Ok(IpPattern::Addr(ip("::1"))));
        assert_eq!(
            parse_ip_pattern("10.0.0.0/8"),
            Ok(IpPattern::Cidr(ip("10.0.0.0"), 8))
        );
        assert_eq!(
            parse_ip_pattern("2001:db8::/32"),
            Ok(IpPattern::Cidr(ip("2001:db8::"), 32))
        );
        assert_eq!(
            parse_ip_pattern("192.168.4.5-192.168.4.20"),
            Ok(IpPattern::Range(ip("192.168.4.5"), ip("192.168.4.20")))
        );
        assert_eq!(
            parse_ip_pattern("2001:db8::1-2001:db8::8"),
            Ok(IpPattern::Range(ip("2001:db8::1"), ip("2001:db8::8")))
        );
        assert_eq!(
            parse_ip_pattern("::ffff:1.2.3.4"),
            Ok(IpPattern::Addr(ip("::ffff:1.2.3.4")))
        );
        assert_eq!(
            parse_ip_pattern("1:2:3:4:5:6:7:8"),
            Ok(IpPattern::Addr(ip("1:2:3:4:5:6:7:8")))
        );
    }

    #[test]
    fn rejects_what_netip_rejects() {
        for bad in [
            "not-an-ip",
            "999.1.1.1",
            "010.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "10.0.0.0/33",
            "10.0.0.0/08",
            "10.0.0.0/+8",
            "::1/129",
            "1.2.3.5-1.2.3.4",
            "1.2.3.4-::1",
            "1.2.3.4 - 1.2.3.5",
            "12345::",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            "1:2:3:4:5:6:7:8::",
            "::ffff:01.2.3.4",
            "fe80::1%eth0",
            "fe80::1%",
            "",
        ] {
            assert_eq!(
                parse_ip_pattern(bad).unwrap_err(),
                format!("ip: invalid pattern: {}", go_quote(bad)),
                "{bad}"
            );
        }
    }

    #[test]
    fn contains_follows_netip() {
        let cidr = parse_ip_pattern("10.0.0.0/8").unwrap();
        assert!(cidr.contains(ip("10.1.2.3")));
        assert!(!cidr.contains(ip("11.0.0.1")));
        assert!(!cidr.contains(ip("::ffff:10.0.0.1")));
        let unmasked = parse_ip_pattern("192.168.0.1/16").unwrap();
        assert!(unmasked.contains(ip("192.168.200.1")));
        let all = parse_ip_pattern("0.0.0.0/0").unwrap();
        assert!(all.contains(ip("8.8.8.8")) && !all.contains(ip("::1")));
        let range = parse_ip_pattern("192.168.4.5-192.168.4.20").unwrap();
        assert!(range.contains(ip("192.168.4.5")) && range.contains(ip("192.168.4.20")));
        assert!(!range.contains(ip("192.168.4.21")));
        let v6 = parse_ip_pattern("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        assert!(parse_ip_pattern("::1").unwrap().contains(ip("::1")));
        let range = parse_ip_pattern("fe80::1-fe80::9%eth0").unwrap();
        assert!(
            range.contains(ip("fe80::5")),
            "zones are dropped from ranges"
        );
    }
}
