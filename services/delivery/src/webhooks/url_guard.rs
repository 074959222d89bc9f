//! Where webhooks may go. A subscriber must not be able to aim the dispatcher at internal
//! services (SSRF): a URL must be http or https, and unless its host is explicitly allowed,
//! every address it resolves to must be public. The check runs when a subscription is saved
//! and again on every connection (the dispatcher's DNS resolver filters addresses), so a name
//! re-pointed at an internal address later is refused too.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

const MAX_URL_LENGTH: usize = 2_000;

#[derive(Debug, Clone, Default)]
pub struct UrlGuard {
    allowed_hosts: Arc<HashSet<String>>,
}

impl UrlGuard {
    pub fn new(allowed_hosts: impl IntoIterator<Item = String>) -> Self {
        Self {
            allowed_hosts: Arc::new(
                allowed_hosts
                    .into_iter()
                    .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase())
                    .collect(),
            ),
        }
    }

    fn allows(&self, host: &str) -> bool {
        self.allowed_hosts
            .contains(host.trim_matches(['[', ']']).to_ascii_lowercase().as_str())
    }

    /// Parses `raw` and checks where it leads; the error says why it is refused.
    pub async fn check(&self, raw: &str) -> Result<Url, String> {
        let url = self.check_form(raw)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        if self.allows(&host) || matches!(url.host(), Some(Host::Ipv4(_) | Host::Ipv6(_))) {
            return Ok(url);
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|_| format!("the host {host} does not resolve"))?
            .collect();
        match addresses.iter().find(|a| !is_public(a.ip())) {
            Some(internal) => Err(format!(
                "the host {host} resolves to {}, which is not a public address",
                internal.ip()
            )),
            None if addresses.is_empty() => Err(format!("the host {host} does not resolve")),
            None => Ok(url),
        }
    }

    /// The checks that need no DNS: scheme, host, no credentials, and IP literals.
    pub fn check_form(&self, raw: &str) -> Result<Url, String> {
        if raw.len() > MAX_URL_LENGTH {
            return Err(format!("must be at most {MAX_URL_LENGTH} characters"));
        }
        let url = Url::parse(raw.trim()).map_err(|e| format!("is not a valid URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must be an http or https URL".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "must not carry credentials; the signature authenticates messages".to_owned(),
            );
        }
        let host = url.host_str().ok_or("must name a host")?;
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal
            && !self.allows(host)
            && !is_public(ip)
        {
            return Err(format!("{ip} is not a public address"));
        }
        Ok(url)
    }

    /// A DNS resolver for the dispatcher's client that drops internal addresses of hosts
    /// that are not allowed.
    pub fn resolver(&self) -> GuardedResolver {
        GuardedResolver(self.clone())
    }
}

pub struct GuardedResolver(UrlGuard);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = if guard.allows(&host) {
                all
            } else {
                all.into_iter().filter(|a| is_public(a.ip())).collect()
            };
            if usable.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}

/// Whether `ip` is reachable on the public internet: not private, loopback, link-local,
/// shared (CGNAT), multicast, documentation, benchmarking or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(ip),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)) // documentation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(internal.parse().unwrap()), "{internal}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[tokio::test]
    async fn urls_must_be_web_urls_to_public_hosts() {
        let guard = UrlGuard::new([]);
        assert!(
            guard
                .check("ftp://example.com/x")
                .await
                .unwrap_err()
                .contains("http")
        );
        assert!(guard.check("not a url").await.is_err());
        assert!(
            guard
                .check("http://user:pw@8.8.8.8/")
                .await
                .unwrap_err()
                .contains("credentials")
        );
        assert!(
            guard
                .check("http://169.254.169.254/latest/meta-data")
                .await
                .is_err()
        );
        assert!(guard.check("http://[::1]:8080/").await.is_err());
        assert!(
            guard
                .check("http://localhost:8080/hook")
                .await
                .unwrap_err()
                .contains("not a public")
        );
        assert!(guard.check("https://8.8.8.8/hook").await.is_ok());
    }

    #[tokio::test]
    async fn allowed_hosts_may_be_internal() {
        let guard = UrlGuard::new(["localhost".to_owned(), "127.0.0.1".to_owned()]);
        assert!(guard.check("http://localhost:8080/hook").await.is_ok());
        assert!(guard.check("http://127.0.0.1:8080/hook").await.is_ok());
        assert!(guard.check("http://10.0.0.1/hook").await.is_err());
    }
}
