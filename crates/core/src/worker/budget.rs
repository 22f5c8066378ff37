//! How many more workers the shared Redis can take. Each BullMQ worker holds two client
//! connections (one blocks waiting for jobs); a pool grown past the server's `maxclients`
//! locks every other client out of it — Node.js services, dashboards, the scheduler. So no
//! scaling, by hand or by the autoscaler, may take the server's clients past `maxclients`
//! less a reserve kept for everyone else.

use crate::connection::Connection;
use crate::error::Result;

/// Client connections one worker holds.
pub const CONNECTIONS_PER_WORKER: u64 = 2;

/// Client slots kept free for other clients: a tenth of `maxclients`, at least this many.
pub const MIN_RESERVE: u64 = 32;

/// A server's client slots, read from `INFO clients`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientRoom {
    /// `maxclients`.
    pub max_clients: u64,
    /// `connected_clients`.
    pub connected: u64,
}

impl ClientRoom {
    /// Slots kept free for clients other than Antrian's workers.
    pub fn reserve(&self) -> u64 {
        (self.max_clients / 10).max(MIN_RESERVE)
    }

    /// Workers that can still be started without eating into the reserve.
    pub fn spare_workers(&self) -> u32 {
        let free = self
            .max_clients
            .saturating_sub(self.connected)
            .saturating_sub(self.reserve());
        u32::try_from(free / CONNECTIONS_PER_WORKER).unwrap_or(u32::MAX)
    }

    /// Why `more` workers cannot start, or `None` when they can.
    pub fn refuse(&self, more: u32) -> Option<String> {
        let spare = self.spare_workers();
        (more > spare).then(|| {
            format!(
                "{more} more workers need {} Redis connections; the server has room for {spare} more workers ({} of maxclients {} in use, {} kept free for other clients)",
                u64::from(more) * CONNECTIONS_PER_WORKER,
                self.connected,
                self.max_clients,
                self.reserve()
            )
        })
    }
}

/// The tightest server's client slots (on a cluster, every primary is asked: workers
/// connect to each), or `None` when the server does not say (a proxy, an old Redis).
pub async fn client_room(conn: &Connection) -> Result<Option<ClientRoom>> {
    let infos: Vec<String> = conn
        .on_every_primary(redis::cmd("INFO").arg("clients"))
        .await?;
    Ok(infos
        .iter()
        .filter_map(|text| parse(text))
        .min_by_key(ClientRoom::spare_workers))
}

fn parse(text: &str) -> Option<ClientRoom> {
    let field = |name: &str| {
        text.lines()
            .filter_map(|l| l.trim().split_once(':'))
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| v.parse::<u64>().ok())
    };
    Some(ClientRoom {
        max_clients: field("maxclients")?,
        connected: field("connected_clients")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_keeps_a_reserve_and_counts_two_connections_per_worker() {
        let room =
            parse("# Clients\r\nconnected_clients:100\r\nmaxclients:10000\r\n").expect("parsed");
        assert_eq!(room.reserve(), 1000);
        assert_eq!(room.spare_workers(), (10_000 - 100 - 1000) / 2);
        assert!(room.refuse(4450).is_none());
        let why = room.refuse(5000).expect("refused");
        assert!(
            why.contains("5000 more workers need 10000 Redis connections")
                && why.contains("room for 4450 more workers"),
            "{why}"
        );
        let small = ClientRoom {
            max_clients: 64,
            connected: 10,
        };
        assert_eq!(small.reserve(), MIN_RESERVE);
        assert_eq!(small.spare_workers(), 11);
        let full = ClientRoom {
            max_clients: 100,
            connected: 99,
        };
        assert_eq!(full.spare_workers(), 0);
        assert!(
            parse("connected_clients:1\r\n").is_none(),
            "no maxclients, no room"
        );
    }
}
