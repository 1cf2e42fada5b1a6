//! Network addresses: which ones are not public internet addresses. One
//! classification serves the URL validator (what a request may reach) and
//! the personal-data scanner (which addresses identify a network inside).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not a public internet address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressClass {
    /// A cloud metadata service (AWS, GCP, Azure, Alibaba, ECS).
    Metadata,
    Loopback,
    /// Private networks: RFC 1918, unique-local IPv6, local-use NAT64.
    Private,
    LinkLocal,
    /// Carrier-grade NAT, 100.64.0.0/10.
    Cgnat,
    Unspecified,
    Multicast,
    /// Documentation, benchmarking, 6to4 relay and future-use ranges.
    Reserved,
}

impl AddressClass {
    /// The URL validator's violation code for it.
    pub(crate) fn code(self) -> &'static str {
        match self {
            AddressClass::Metadata => "url.metadata",
            AddressClass::Loopback => "url.loopback",
            AddressClass::Private => "url.private",
            AddressClass::LinkLocal => "url.link_local",
            AddressClass::Cgnat => "url.cgnat",
            AddressClass::Unspecified => "url.unspecified",
            AddressClass::Multicast => "url.multicast",
            AddressClass::Reserved => "url.reserved",
        }
    }
}

/// Which kind of non-public address `ip` is, if it is not a public
/// internet address. Allocates nothing.
pub(crate) fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

pub(crate) fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = if ip == Ipv4Addr::new(169, 254, 169, 254)
        || ip == Ipv4Addr::new(100, 100, 100, 200)
        || ip == Ipv4Addr::new(168, 63, 129, 16)
        || ip == Ipv4Addr::new(169, 254, 170, 2)
    {
        AddressClass::Metadata
    } else if a == 127 {
        AddressClass::Loopback
    } else if a == 10 || (a == 172 && (16..=31).contains(&b)) || (a == 192 && b == 168) {
        AddressClass::Private
    } else if a == 169 && b == 254 {
        AddressClass::LinkLocal
    } else if a == 100 && (64..=127).contains(&b) {
        AddressClass::Cgnat
    } else if a == 0 {
        AddressClass::Unspecified
    } else if (224..=239).contains(&a) {
        AddressClass::Multicast
    } else if a >= 240
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 192 && b == 88 && c == 99)
    {
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

/// The EC2 instance metadata service over IPv6, `fd00:ec2::254`.
const AWS_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    let segments = ip.segments();
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    // SIIT's IPv4-translated form, ::ffff:0:a.b.c.d.
    if segments[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return classify_v4(embedded(segments[6], segments[7]));
    }
    // The local-use NAT64 prefix (RFC 8215) translates into private networks.
    if segments[..3] == [0x64, 0xff9b, 1] {
        return Some(AddressClass::Private);
    }
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
    if segments[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return classify_v4(embedded(segments[6], segments[7]));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return classify_v4(embedded(segments[1], segments[2]));
    }
    let class = if ip == AWS_METADATA_V6 {
        AddressClass::Metadata
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_unspecified() {
        AddressClass::Unspecified
    } else if ip.is_multicast() {
        AddressClass::Multicast
    } else if (segments[0] & 0xfe00) == 0xfc00 {
        AddressClass::Private
    } else if (segments[0] & 0xffc0) == 0xfe80 || (segments[0] & 0xffc0) == 0xfec0 {
        AddressClass::LinkLocal
    } else if (segments[0] == 0x2001 && segments[1] == 0x0db8)
        || segments[0] == 0x0100
        || (segments[0] == 0x2001 && segments[1] < 0x0200)
    {
        AddressClass::Reserved
    } else {
        return None;
    };
    Some(class)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_that_embed_an_internal_one_are_classed_by_it() {
        let class = |s: &str| classify(s.parse().unwrap());
        assert_eq!(class("169.254.169.254"), Some(AddressClass::Metadata));
        assert_eq!(class("::ffff:127.0.0.1"), Some(AddressClass::Loopback));
        assert_eq!(class("64:ff9b::a00:1"), Some(AddressClass::Private));
        assert_eq!(class("2002:c0a8:0101::1"), Some(AddressClass::Private));
        assert_eq!(class("fd00:ec2::254"), Some(AddressClass::Metadata));
        assert_eq!(class("8.8.8.8"), None);
        assert_eq!(class("2606:4700:4700::1111"), None);
    }
}
