//! Who a public request comes from, without ever keeping their address.
//!
//! - [`TrustedProxies`] picks the visitor's address: the TCP peer, or, only when that peer is
//!   one of the configured reverse proxies, the nearest untrusted address of
//!   `X-Forwarded-For` (read right to left, so a visitor cannot choose their own address by
//!   sending the header themselves).
//! - [`VisitorKeys`] turns that address into keyed hashes (HMAC-SHA256) under a key derived
//!   from the server's secret and the Paris day: the hashes change every day, cannot be
//!   reversed without the secret, and are all that the rate limiter (in memory) and the
//!   "one rating per visitor, resource and day" rule (in the database, purged after the day)
//!   ever see. IPv6 visitors are keyed by their /64, which a single household or phone holds.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::RwLock;

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use rand::RngCore;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The reverse proxies whose `X-Forwarded-For` is believed: addresses or CIDR blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("proxy de confiance invalide « {0} » : adresse IP ou bloc CIDR attendu")]
pub struct InvalidProxy(pub String);

impl FromStr for TrustedProxies {
    type Err = InvalidProxy;

    /// A comma-separated list: `10.0.0.1, 192.168.0.0/16, ::1`. Empty: trust nobody.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| InvalidProxy(item.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The visitor's address. `forwarded_for` are the values of every `X-Forwarded-For`
    /// header, in the order received.
    pub fn client_address<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(address) => {
                    client = address;
                    if !self.trusts(address) {
                        return address;
                    }
                }
                // Garbage in the chain: stop at the last address a trusted proxy vouched for.
                None => return client,
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// The part of an address that names one visitor: all of IPv4, the /64 of IPv6.
fn visitor_bytes(address: IpAddr) -> ([u8; 9], usize) {
    let mut bytes = [0u8; 9];
    match address.to_canonical() {
        IpAddr::V4(v4) => {
            bytes[0] = 4;
            bytes[1..5].copy_from_slice(&v4.octets());
            (bytes, 5)
        }
        IpAddr::V6(v6) => {
            bytes[0] = 6;
            bytes[1..9].copy_from_slice(&v6.octets()[..8]);
            (bytes, 9)
        }
    }
}

/// Keyed hashes of visitors' addresses, under a key that changes with the Paris day.
pub struct VisitorKeys {
    /// SHA-256 of the configured secret, or 32 random bytes.
    root: [u8; 32],
    today: RwLock<Option<(NaiveDate, HmacSha256)>>,
}

impl std::fmt::Debug for VisitorKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorKeys(…)")
    }
}

/// An HMAC-SHA256 under a 32-byte key (zero-padded to the block, as HMAC itself pads it).
fn hmac_with(key: &[u8; 32]) -> HmacSha256 {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <HmacSha256 as hmac::digest::KeyInit>::new(&block.into())
}

impl VisitorKeys {
    /// Keys derived from a secret shared by every instance (`JALON_SECRET`), so that they
    /// survive restarts and agree across servers.
    pub fn from_secret(secret: &str) -> Self {
        Self::with_root(Sha256::digest(secret.as_bytes()).into())
    }

    /// Keys nobody knows, not even after a restart: visitors are counted afresh then.
    pub fn random() -> Self {
        let mut root = [0u8; 32];
        rand::rng().fill_bytes(&mut root);
        Self::with_root(root)
    }

    fn with_root(root: [u8; 32]) -> Self {
        Self {
            root,
            today: RwLock::new(None),
        }
    }

    fn daily(&self, day: NaiveDate) -> HmacSha256 {
        if let Ok(guard) = self.today.read()
            && let Some((cached_day, mac)) = guard.as_ref()
            && *cached_day == day
        {
            return mac.clone();
        }
        let mut derive = hmac_with(&self.root);
        derive.update(b"jalon visitor key\0");
        derive.update(day.format("%Y-%m-%d").to_string().as_bytes());
        let daily_key: [u8; 32] = derive.finalize().into_bytes().into();
        let mac = hmac_with(&daily_key);
        if let Ok(mut guard) = self.today.write() {
            *guard = Some((day, mac.clone()));
        }
        mac
    }

    fn hash(&self, day: NaiveDate, purpose: &[u8], address: IpAddr, extra: &[u8]) -> [u8; 32] {
        let mut mac = self.daily(day);
        let (bytes, len) = visitor_bytes(address);
        mac.update(purpose);
        mac.update(&bytes[..len]);
        mac.update(b"\0");
        mac.update(extra);
        mac.finalize().into_bytes().into()
    }

    /// The rate limiter's key for a visitor on a day (kept in memory only).
    pub fn limiter_key(&self, day: NaiveDate, address: IpAddr) -> u128 {
        let hash = self.hash(day, b"limit\0", address, b"");
        let mut first = [0u8; 16];
        first.copy_from_slice(&hash[..16]);
        u128::from_be_bytes(first)
    }

    /// The stored key of a visitor's rating of a resource on a day: the first 128 bits of the
    /// hash, 32 hex digits (collisions are out of reach at any traffic). Different resources
    /// give unrelated keys, so stored rows cannot be linked to one visitor.
    pub fn rating_key(&self, day: NaiveDate, address: IpAddr, resource: &str) -> String {
        self.hash(day, b"rating\0", address, resource.as_bytes())[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn trusted_proxies_parse_addresses_and_blocks() {
        let proxies: TrustedProxies = " 10.0.0.1, 192.168.0.0/16 ,::1,".parse().unwrap();
        assert!(proxies.trusts(ip("10.0.0.1")));
        assert!(!proxies.trusts(ip("10.0.0.2")));
        assert!(proxies.trusts(ip("192.168.44.3")));
        assert!(proxies.trusts(ip("::1")));
        assert!(proxies.trusts(ip("::ffff:10.0.0.1")), "IPv4-mapped");
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert_eq!(
            "10.0.0.1, nope".parse::<TrustedProxies>(),
            Err(InvalidProxy("nope".into()))
        );
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
    }

    #[test]
    fn forwarded_for_is_only_believed_from_trusted_peers() {
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        // An untrusted peer: its header is ignored, whatever it says.
        assert_eq!(
            proxies.client_address(ip("203.0.113.9"), ["198.51.100.1"]),
            ip("203.0.113.9")
        );
        // A trusted proxy: the nearest untrusted hop, read right to left.
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), ["1.1.1.1, 198.51.100.7, 10.0.0.5"]),
            ip("198.51.100.7"),
            "a forged left-most entry is not believed"
        );
        // Several headers form one list.
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), ["198.51.100.7", "10.1.1.1"]),
            ip("198.51.100.7")
        );
        // Ports and brackets are tolerated; garbage stops the walk at the last vouched hop.
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), ["[2001:db8::5]:443"]),
            ip("2001:db8::5")
        );
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), ["198.51.100.1:5000"]),
            ip("198.51.100.1")
        );
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), ["198.51.100.1, garbage, 10.0.0.9"]),
            ip("10.0.0.9")
        );
        // No header, or only proxies: the farthest proxy.
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), std::iter::empty::<&str>()),
            ip("10.0.0.2")
        );
        assert_eq!(
            proxies.client_address(ip("10.0.0.2"), ["10.3.3.3"]),
            ip("10.3.3.3")
        );
        // Nobody trusted: always the peer.
        assert_eq!(
            TrustedProxies::default().client_address(ip("10.0.0.2"), ["198.51.100.1"]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn keys_rotate_daily_and_depend_on_the_secret() {
        let keys = VisitorKeys::from_secret("secret");
        let a = ip("198.51.100.1");
        let k1 = keys.rating_key(day(16), a, "guide");
        assert_eq!(k1.len(), 32);
        assert!(k1.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(k1, keys.rating_key(day(16), a, "guide"), "stable in a day");
        assert_ne!(k1, keys.rating_key(day(17), a, "guide"), "rotates daily");
        assert_ne!(k1, keys.rating_key(day(16), a, "autre"), "per resource");
        assert_ne!(k1, keys.rating_key(day(16), ip("198.51.100.2"), "guide"));
        assert_ne!(
            k1,
            VisitorKeys::from_secret("other").rating_key(day(16), a, "guide")
        );
        assert_eq!(
            k1,
            VisitorKeys::from_secret("secret").rating_key(day(16), a, "guide"),
            "same secret, same key: instances agree"
        );
        assert_ne!(
            VisitorKeys::random().limiter_key(day(16), a),
            VisitorKeys::random().limiter_key(day(16), a)
        );
        // Going back to a day already seen gives its key again.
        let keys = VisitorKeys::from_secret("secret");
        let l16 = keys.limiter_key(day(16), a);
        let l17 = keys.limiter_key(day(17), a);
        assert_ne!(l16, l17);
        assert_eq!(l16, keys.limiter_key(day(16), a));
    }

    #[test]
    fn an_ipv6_visitor_is_its_slash_64() {
        let keys = VisitorKeys::from_secret("s");
        assert_eq!(
            keys.limiter_key(day(16), ip("2001:db8:1:2::1")),
            keys.limiter_key(day(16), ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            keys.limiter_key(day(16), ip("2001:db8:1:2::1")),
            keys.limiter_key(day(16), ip("2001:db8:1:3::1"))
        );
        assert_eq!(
            keys.limiter_key(day(16), ip("::ffff:192.0.2.1")),
            keys.limiter_key(day(16), ip("192.0.2.1"))
        );
    }
}
