//! The server announced on the local network by multicast DNS
//! (`_wyoming._tcp.local.`), as Wyoming's own servers do with `--zeroconf`,
//! so Home Assistant finds it without anyone typing an address. Off unless
//! asked: an announcement tells everyone on the network that the kiosk is
//! there.

use std::net::SocketAddr;

use mdns_sd::{ServiceDaemon, ServiceInfo};

/// The service type Home Assistant browses for.
pub const SERVICE_TYPE: &str = "_wyoming._tcp.local.";

#[derive(Debug, thiserror::Error)]
pub enum ZeroconfError {
    #[error(
        "{0} is a loopback address: announcing it would tell the network of a server it cannot reach; \
         listen on a network address to announce it"
    )]
    Loopback(SocketAddr),
    #[error("zeroconf announcement: {0}")]
    Mdns(#[from] mdns_sd::Error),
}

/// An announcement, withdrawn when dropped.
pub struct Announcement {
    daemon: ServiceDaemon,
    fullname: String,
}

/// Announces a Wyoming server listening on `address` as `name`. An
/// unspecified address (`0.0.0.0`) is announced with every address of the
/// machine's interfaces.
pub fn announce(name: &str, address: SocketAddr) -> Result<Announcement, ZeroconfError> {
    if address.ip().is_loopback() {
        return Err(ZeroconfError::Loopback(address));
    }
    let host = format!("{}.local.", host_name());
    let ip = if address.ip().is_unspecified() { String::new() } else { address.ip().to_string() };
    let mut info = ServiceInfo::new(
        SERVICE_TYPE,
        name,
        &host,
        ip.as_str(),
        address.port(),
        None::<std::collections::HashMap<String, String>>,
    )?;
    if address.ip().is_unspecified() {
        info = info.enable_addr_auto();
    }
    let fullname = info.get_fullname().to_string();
    let daemon = ServiceDaemon::new()?;
    daemon.register(info)?;
    tracing::info!(service = %fullname, port = address.port(), "wyoming: announced by zeroconf");
    Ok(Announcement { daemon, fullname })
}

impl Drop for Announcement {
    fn drop(&mut self) {
        // Goodbye packets, so browsers forget the server at once.
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = done.recv_timeout(std::time::Duration::from_secs(1));
        }
        let _ = self.daemon.shutdown();
    }
}

/// This machine's name, as mDNS hosts go (letters, digits and hyphens).
fn host_name() -> String {
    let raw = sysinfo::System::host_name().unwrap_or_default();
    let clean: String = raw.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let clean = clean.trim_matches('-');
    if clean.is_empty() {
        "awal".to_string()
    } else {
        clean.to_string()
    }
}
