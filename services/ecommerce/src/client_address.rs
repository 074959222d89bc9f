//! Who is calling: the client's IP address, as the log-in throttle counts it.
//!
//! It is the TCP peer's address, unless the peer is a trusted proxy (loopback by default: the
//! metrics service's dashboard log-in, or a reverse proxy on the same host). Then the peer's
//! `X-Forwarded-For` names the client. The header is read from its right end, where each proxy
//! appended the address it saw, skipping trusted proxies: entries further left were written by
//! the client itself and could say anything, so they are believed only through trusted hops.

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpRange>);

/// An address or a CIDR range.
#[derive(Debug, Clone, Copy)]
struct IpRange {
    network: IpAddr,
    prefix: u32,
}

impl TrustedProxies {
    /// Each entry an address (`10.1.2.3`, `::1`) or a CIDR range (`10.0.0.0/8`, `fd00::/8`);
    /// empty entries are skipped, so an empty variable trusts no proxy.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        entries
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(IpRange::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|range| range.contains(address))
    }

    /// The client of `request`; `None` only when the connection has no IP peer.
    pub fn client_of(&self, request: &HttpRequest) -> Option<IpAddr> {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|value| value.to_str().ok());
        self.client(request.peer_addr().map(|peer| peer.ip()), forwarded)
    }

    /// The client, from the peer's address and the `X-Forwarded-For` header lines in order.
    pub fn client<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl Iterator<Item = &'a str>,
    ) -> Option<IpAddr> {
        let mut client = peer?.to_canonical();
        if !self.contains(client) {
            return Some(client);
        }
        let hops: Vec<&str> = forwarded_for.flat_map(|line| line.split(',')).collect();
        for hop in hops.into_iter().rev() {
            // Garbage from a trusted hop: keep the last address a trusted proxy vouched for.
            let Some(address) = parse_hop(hop.trim()) else {
                break;
            };
            client = address;
            if !self.contains(client) {
                break;
            }
        }
        Some(client)
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|socket| socket.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

impl IpRange {
    fn parse(entry: &str) -> Result<Self, String> {
        let bad = || format!("{entry:?} is not an IP address or a CIDR range");
        let (address, prefix) = match entry.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (entry, None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.parse::<u32>().map_err(|_| bad())?,
            None => bits,
        };
        if prefix > bits {
            return Err(bad());
        }
        Ok(Self {
            network: network.to_canonical(),
            prefix,
        })
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX.checked_shl(32 - self.prefix).unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX.checked_shl(128 - self.prefix).unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trusted(entries: &[&str]) -> TrustedProxies {
        let entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
        TrustedProxies::parse(&entries).unwrap()
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = trusted(&["127.0.0.0/8", "::1"]);
        let client = proxies.client(ip("203.0.113.7"), ["198.51.100.1"].into_iter());
        assert_eq!(client, ip("203.0.113.7"));
    }

    #[test]
    fn a_trusted_peer_names_the_client_at_the_right_end_of_the_header() {
        let proxies = trusted(&["127.0.0.0/8", "::1", "10.0.0.0/8"]);
        // The client claims 1.1.1.1; the proxy at 10.0.0.5 saw 203.0.113.7 connect.
        let header = ["1.1.1.1, 203.0.113.7", "10.0.0.5"];
        assert_eq!(
            proxies.client(ip("127.0.0.1"), header.into_iter()),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("::1"), ["[2001:db8::1]:4711"].into_iter()),
            ip("2001:db8::1")
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), std::iter::empty()),
            ip("127.0.0.1"),
            "no header: the proxy itself"
        );
        assert_eq!(
            proxies.client(ip("127.0.0.1"), ["203.0.113.7, garbage"].into_iter()),
            ip("127.0.0.1"),
            "garbage stops the walk"
        );
    }

    #[test]
    fn ipv4_mapped_addresses_are_their_ipv4_selves() {
        let proxies = trusted(&["127.0.0.1"]);
        assert!(proxies.contains("::ffff:127.0.0.1".parse().unwrap()));
        assert!(!proxies.contains("127.0.0.2".parse().unwrap()));
    }

    #[test]
    fn ranges_are_parsed_and_bad_ones_refused() {
        let proxies = trusted(&["0.0.0.0/0"]);
        assert!(proxies.contains("8.8.8.8".parse().unwrap()));
        assert!(!proxies.contains("::2".parse().unwrap()));
        assert!(
            !trusted(&[""]).contains("127.0.0.1".parse().unwrap()),
            "empty: none"
        );
        for bad in ["10.0.0.0/33", "localhost", "10.0.0.0/x", "::1/129"] {
            assert!(
                TrustedProxies::parse(&[bad.to_owned()]).is_err(),
                "{bad} accepted"
            );
        }
    }
}
