//! A cap on the connections one client address holds at once
//! (`--max-connections-per-client`), so that idle or stalled sockets from
//! one address cannot take every slot of `--max-connections` and keep
//! other clients waiting in the listen queue.
//!
//! A connection over the cap is closed as soon as it is accepted: it
//! costs the listener one accept, and the slot it would have taken stays
//! free for another client.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// The default cap: more than any management client opens, far below the
/// default `--max-connections` (1024).
pub(crate) const DEFAULT_PER_CLIENT: u32 = 64;

/// The open connections of each client address.
#[derive(Clone, Debug)]
pub(crate) struct PerClientLimit {
    limit: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One admitted connection; its address's count drops when it is dropped.
#[derive(Debug)]
pub(crate) struct Admitted {
    address: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl PerClientLimit {
    /// At most `limit` connections per address (at least 1).
    pub(crate) fn new(limit: usize) -> PerClientLimit {
        PerClientLimit {
            limit: limit.max(1),
            open: Arc::default(),
        }
    }

    /// Admits one more connection from `address`, or `None` when it holds
    /// `limit` already.
    pub(crate) fn admit(&self, address: IpAddr) -> Option<Admitted> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(address).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(Admitted {
            address,
            open: Arc::clone(&self.open),
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                // No entry per address ever seen: the map stays as small as
                // the set of clients connected now.
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_gets_at_most_the_limit_and_others_are_not_affected() {
        let limit = PerClientLimit::new(2);
        let flood: IpAddr = "127.0.0.2".parse().unwrap();
        let other: IpAddr = "127.0.0.1".parse().unwrap();
        let first = limit.admit(flood).unwrap();
        let _second = limit.admit(flood).unwrap();
        assert!(limit.admit(flood).is_none());
        assert!(limit.admit(other).is_some());
        drop(first);
        assert!(limit.admit(flood).is_some());
    }

    #[test]
    fn addresses_without_connections_are_forgotten() {
        let limit = PerClientLimit::new(1);
        let address: IpAddr = "::1".parse().unwrap();
        drop(limit.admit(address).unwrap());
        assert!(limit.open.lock().unwrap().is_empty());
    }
}
