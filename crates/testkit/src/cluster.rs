//! A Redis Cluster owned by one test: primaries with replicas, from test-owned
//! `redis-server` processes on free ports, joined by `redis-cli --cluster create` as an
//! operator does, and failed over as an operator does (`CLUSTER FAILOVER` on a replica).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::{RedisOptions, TestRedis};

/// How long forming the cluster or a failover may take.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);

/// A running cluster. Dropping it stops every server.
#[derive(Debug)]
pub struct TestCluster {
    servers: Vec<TestRedis>,
}

/// One node as `CLUSTER NODES` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// The node's id.
    pub id: String,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// A primary (else a replica).
    pub primary: bool,
    /// A replica's primary.
    pub primary_id: Option<String>,
    /// Slot ranges it serves (primaries).
    pub slots: Vec<(u16, u16)>,
}

/// A free port a cluster node can use: Redis refuses ports above 55535 in cluster mode
/// (its cluster bus listens 10,000 higher), and that bus port must be free too.
fn cluster_port() -> u16 {
    loop {
        let port = crate::free_port();
        if port <= 55_535 && std::net::TcpListener::bind(("127.0.0.1", port + 10_000)).is_ok() {
            return port;
        }
    }
}

impl TestCluster {
    /// Starts `primaries` (at least 3) primaries with `replicas` replicas each and waits
    /// until every node reports the cluster ok.
    ///
    /// # Panics
    /// When `redis-cli --cluster create` fails (with its output) or the cluster does not
    /// settle within 30 s.
    pub fn start(primaries: usize, replicas: usize) -> Self {
        let servers: Vec<TestRedis> = (0..primaries * (1 + replicas))
            .map(|_| {
                TestRedis::start_with(RedisOptions {
                    port: Some(cluster_port()),
                    args: vec![
                        ("cluster-enabled".into(), "yes".into()),
                        // In the server's own directory (--dir is its working directory).
                        ("cluster-config-file".into(), "nodes.conf".into()),
                        ("cluster-node-timeout".into(), "2000".into()),
                    ],
                    ..Default::default()
                })
            })
            .collect();
        let mut create = Command::new("redis-cli");
        create.args(["--cluster", "create"]);
        for s in &servers {
            create.arg(format!("127.0.0.1:{}", s.port()));
        }
        create.args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"]);
        let out = create.output().expect("run redis-cli --cluster create");
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Self { servers };
        cluster.settle(|nodes| {
            nodes.iter().filter(|n| n.primary).count() == primaries
                && nodes.iter().filter(|n| !n.primary).count() == primaries * replicas
        });
        cluster
    }

    /// Seed addresses, `127.0.0.1:PORT,…` (as `REDIS_CLUSTER_NODES` takes them).
    pub fn seeds(&self) -> String {
        self.servers
            .iter()
            .map(|s| format!("127.0.0.1:{}", s.port()))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Every node's URL.
    pub fn urls(&self) -> Vec<String> {
        self.servers.iter().map(TestRedis::url).collect()
    }

    /// The server on `port`.
    ///
    /// # Panics
    /// When no node of this cluster listens there.
    pub fn server(&self, port: u16) -> &TestRedis {
        self.servers
            .iter()
            .find(|s| s.port() == port)
            .unwrap_or_else(|| panic!("no cluster node on port {port}"))
    }

    /// The nodes as the first answering server sees them.
    ///
    /// # Panics
    /// When no server answers.
    pub fn nodes(&self) -> Vec<ClusterNode> {
        self.servers
            .iter()
            .find_map(|s| {
                let mut conn = redis::Client::open(s.url())
                    .ok()?
                    .get_connection_with_timeout(Duration::from_secs(1))
                    .ok()?;
                redis::cmd("CLUSTER")
                    .arg("NODES")
                    .query::<String>(&mut conn)
                    .ok()
            })
            .map(|text| parse_nodes(&text))
            .expect("no cluster node answers")
    }

    /// The slot of `key` (its hash tag's, when it has one).
    pub fn slot(&self, key: &str) -> u16 {
        let mut conn = self.servers[0].connection();
        redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut conn)
            .expect("CLUSTER KEYSLOT")
    }

    /// The primary serving `key`.
    ///
    /// # Panics
    /// When no primary serves its slot.
    pub fn primary_of(&self, key: &str) -> ClusterNode {
        let slot = self.slot(key);
        self.nodes()
            .into_iter()
            .find(|n| n.primary && n.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
            .unwrap_or_else(|| panic!("no primary serves slot {slot}"))
    }

    /// Fails the primary serving `key` over to one of its replicas, as an operator does
    /// (`CLUSTER FAILOVER` on the replica), and waits until every node agrees; returns the
    /// old and the new primary's ports.
    ///
    /// # Panics
    /// When the primary has no replica or the failover does not settle within 30 s.
    pub fn failover(&self, key: &str) -> (u16, u16) {
        let old = self.primary_of(key);
        let replica = self
            .nodes()
            .into_iter()
            .find(|n| n.primary_id.as_deref() == Some(old.id.as_str()))
            .unwrap_or_else(|| panic!("the primary on {} has no replica", old.port));
        let mut conn = self.server(replica.port).connection();
        let _: () = redis::cmd("CLUSTER")
            .arg("FAILOVER")
            .query(&mut conn)
            .expect("CLUSTER FAILOVER");
        let new_id = replica.id.clone();
        self.settle(|nodes| {
            nodes
                .iter()
                .any(|n| n.id == new_id && n.primary && !n.slots.is_empty())
                && nodes
                    .iter()
                    .any(|n| n.id == old.id && n.primary_id.as_deref() == Some(new_id.as_str()))
        });
        (old.port, replica.port)
    }

    /// Waits until every node reports `cluster_state:ok`, every replica's link to its
    /// primary is up (a replica still loading its first sync would not acknowledge a
    /// `WAIT`), and the topology satisfies `done`.
    fn settle(&self, done: impl Fn(&[ClusterNode]) -> bool) {
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let ok = self.servers.iter().all(|s| {
                let mut conn = s.connection();
                let cluster_ok = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query::<String>(&mut conn)
                    .is_ok_and(|info| info.contains("cluster_state:ok"));
                let linked = redis::cmd("INFO")
                    .arg("replication")
                    .query::<String>(&mut conn)
                    .is_ok_and(|info| {
                        !info.contains("role:slave") || info.contains("master_link_status:up")
                    });
                cluster_ok && linked
            });
            let nodes = self.nodes();
            if ok && done(&nodes) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not settle within {SETTLE_TIMEOUT:?}: {nodes:?}"
            );
            // The servers gossip in the background; they offer no event to wait on.
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Parses `CLUSTER NODES`: `<id> <ip:port@cport> <flags> <primary> <ping> <pong> <epoch>
/// <link> <slot>…`.
fn parse_nodes(text: &str) -> Vec<ClusterNode> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let port = f
                .get(1)?
                .split('@')
                .next()?
                .rsplit(':')
                .next()?
                .parse()
                .ok()?;
            let flags = f.get(2)?;
            let primary = flags.split(',').any(|x| x == "master");
            let primary_id = f.get(3).filter(|m| **m != "-").map(|m| (*m).to_string());
            let slots = f
                .iter()
                .skip(8)
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                    None => s.parse().ok().map(|n| (n, n)),
                })
                .collect();
            Some(ClusterNode {
                id: (*f.first()?).to_string(),
                port,
                primary,
                primary_id,
                slots,
            })
        })
        .collect()
}
