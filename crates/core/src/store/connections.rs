//! Saved Redis connections (the desktop app's Settings): what is kept of each, the rules a
//! new one must pass, and the one-shot "test connection".
//!
//! A saved connection never holds its password: the app keeps that in the OS keyring and
//! joins it to the URL only to connect ([`SavedConnection::url_with`]).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{Error, Result};

/// Longest a connection test waits for the server.
const TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A saved external Redis connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct SavedConnection {
    /// Stable id (`conn-…`), the keyring entry's name.
    pub id: String,
    /// What the user calls it (`production`).
    pub name: String,
    /// `redis://host:port/db` or `rediss://…` for TLS; no credentials.
    pub url: String,
    /// ACL user name, if any.
    pub username: Option<String>,
    /// Whether a password is stored for it.
    pub has_password: bool,
}

/// A connection as the Settings form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ConnectionInput {
    /// The connection to change; none adds one.
    #[ts(optional)]
    pub id: Option<String>,
    /// Its name.
    pub name: String,
    /// Host and port as `redis://host:6379/0` (`rediss://` for TLS), or just `host:port`.
    pub url: String,
    /// Use TLS (turns `redis://` into `rediss://`).
    pub tls: bool,
    /// ACL user name; empty for none.
    #[ts(optional)]
    pub username: Option<String>,
    /// A new password; none keeps the stored one, empty removes it.
    #[ts(optional)]
    pub password: Option<String>,
}

/// The saved connections and which one is in use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ConnectionList {
    /// Saved external connections.
    pub connections: Vec<SavedConnection>,
    /// The one in use; none means the default (embedded unless configured otherwise).
    pub active: Option<String>,
    /// Where passwords are kept: `keyring` (the OS keyring) or the path of a 0600 file
    /// used because no keyring service answered.
    pub secret_store: String,
    /// Set when the environment names a Redis (`REDIS_URL`…): it wins over the choice here.
    pub overridden_by: Option<String>,
}

/// What a connection test found.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, export_to = "../../../ui/src/api/generated/")]
pub struct ConnectionTest {
    /// The address tested, without credentials.
    pub address: String,
    /// The server's version.
    pub version: String,
    /// Round trip of a PING, milliseconds.
    pub latency_ms: f64,
}

/// What saving a [`ConnectionInput`] does to the connection's stored password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange<'a> {
    /// No password given: the stored one stays.
    Keep,
    /// An empty password: the stored one goes.
    Remove,
    /// A new password.
    Set(&'a str),
}

impl ConnectionInput {
    /// What saving this input does to the stored password.
    pub fn password_change(&self) -> PasswordChange<'_> {
        match self.password.as_deref() {
            None => PasswordChange::Keep,
            Some("") => PasswordChange::Remove,
            Some(p) => PasswordChange::Set(p),
        }
    }

    /// The password a connection test uses: the one typed in the form, or else the one
    /// stored for the connection being edited.
    pub fn password_to_test(&self, stored: Option<String>) -> Option<String> {
        self.password.clone().or(stored)
    }

    /// The connection this input saves among the `saved` ones: a new one gets a fresh id; a
    /// changed one keeps its id and, when no new password is given, its stored password.
    pub fn resolve(&self, saved: &[SavedConnection]) -> Result<SavedConnection> {
        let existing = match &self.id {
            Some(id) => Some(find(saved, id)?),
            None => None,
        };
        let id = existing.map_or_else(new_connection_id, |c| c.id.clone());
        let has_password = match self.password.as_deref() {
            Some(p) => !p.is_empty(),
            None => existing.is_some_and(|c| c.has_password),
        };
        self.to_saved(id, has_password)
    }

    /// Checks the input and returns the connection to save (with `id`).
    pub fn to_saved(&self, id: String, has_password: bool) -> Result<SavedConnection> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(invalid("name", "a name of 1 to 60 characters"));
        }
        let nodes: Vec<&str> = self.url.split(',').map(str::trim).collect();
        let cluster = nodes.len() > 1;
        let urls = nodes
            .iter()
            .map(|raw| self.server_url(raw, cluster))
            .collect::<Result<Vec<_>>>()?;
        let username = self
            .username
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty());
        if username.is_some_and(|u| u.contains([':', '@', '/', ' '])) {
            return Err(invalid(
                "username",
                "a user name without `:`, `@`, `/` or spaces",
            ));
        }
        Ok(SavedConnection {
            id,
            name: name.to_string(),
            url: urls.join(","),
            username: username.map(str::to_string),
            has_password,
        })
    }

    /// One server of the input as a URL without credentials; `cluster` when it is one
    /// node of several (a Redis Cluster has only database 0).
    fn server_url(&self, raw: &str, cluster: bool) -> Result<String> {
        let with_scheme = if raw.contains("://") {
            raw.to_string()
        } else {
            format!("redis://{raw}")
        };
        let expected = if cluster {
            "the nodes of a Redis Cluster as host:port, comma-separated"
        } else {
            "a server as host:port or redis://host:port/db, or a Redis Cluster's nodes as host:port,host:port"
        };
        let mut url = url::Url::parse(&with_scheme).map_err(|_| invalid("url", expected))?;
        if !matches!(url.scheme(), "redis" | "rediss") || url.host_str().is_none_or(str::is_empty) {
            return Err(invalid("url", expected));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "url",
                "no user name or password in the URL: use the fields for them (the password is kept in the OS keyring)",
            ));
        }
        let db = url.path().trim_matches('/');
        if !db.is_empty() && db.parse::<u8>().is_err() {
            return Err(invalid(
                "url",
                "a database number from 0 to 255 after the last `/`",
            ));
        }
        if cluster && (!db.is_empty() && db != "0" || url.port().is_none()) {
            return Err(invalid(
                "url",
                "each cluster node as host:port, without a database (a Redis Cluster has only database 0)",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("url", expected));
        }
        let scheme = if self.tls { "rediss" } else { "redis" };
        url.set_scheme(scheme)
            .map_err(|()| invalid("url", expected))?;
        if cluster {
            url.set_path("");
        }
        Ok(url.to_string())
    }
}

/// The saved connection `id`, or a not-found error naming it.
pub fn find<'a>(saved: &'a [SavedConnection], id: &str) -> Result<&'a SavedConnection> {
    saved
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Error::NotFound {
            what: format!("saved connection {id}"),
        })
}

/// Puts `connection` among the `saved` ones: in place of the one with its id, or added.
pub fn upsert(saved: &mut Vec<SavedConnection>, connection: SavedConnection) {
    match saved.iter_mut().find(|c| c.id == connection.id) {
        Some(slot) => *slot = connection,
        None => saved.push(connection),
    }
}

/// Checks that `id` may be removed: it is saved, and it is not the one in use (`active`) —
/// removing that would leave the app on a connection it no longer knows.
pub fn check_removable(saved: &[SavedConnection], active: Option<&str>, id: &str) -> Result<()> {
    find(saved, id)?;
    if active == Some(id) {
        return Err(Error::Conflict(
            "this connection is in use: switch to another one first".into(),
        ));
    }
    Ok(())
}

impl SavedConnection {
    /// Whether it names the nodes of a Redis Cluster rather than one server.
    pub fn is_cluster(&self) -> bool {
        self.url.contains(',')
    }

    /// The variable that names it to the configuration, with its value: `REDIS_URL`, or
    /// `REDIS_CLUSTER_NODES` for a cluster; the user name and `password` joined in.
    pub fn env_with(&self, password: Option<&str>) -> Result<(&'static str, String)> {
        let var = if self.is_cluster() {
            "REDIS_CLUSTER_NODES"
        } else {
            "REDIS_URL"
        };
        Ok((var, self.url_with(password)?))
    }

    /// The URL to connect with (each node's, comma-separated, for a cluster), the user
    /// name and `password` joined in.
    pub fn url_with(&self, password: Option<&str>) -> Result<String> {
        let mut joined = Vec::new();
        for node in self.url.split(',') {
            let mut url = url::Url::parse(node).map_err(|_| invalid("url", "a redis:// URL"))?;
            if let Some(user) = &self.username {
                url.set_username(user)
                    .map_err(|()| invalid("username", "a user name"))?;
            }
            if let Some(password) = password.filter(|p| !p.is_empty()) {
                url.set_password(Some(password))
                    .map_err(|()| invalid("password", "a password"))?;
            }
            joined.push(String::from(url));
        }
        Ok(joined.join(","))
    }
}

/// Connects to `url` once (no retries), PINGs and reads the version: the Settings page's
/// "test connection". Errors say what failed: unreachable, wrong password, not Redis, a
/// cluster not serving every slot. A comma-separated list of node URLs is a Redis Cluster.
pub async fn test_connection(url: &str) -> Result<ConnectionTest> {
    if url.contains(',') {
        return test_cluster(url).await;
    }
    let address = crate::config::redact_url(url);
    let unreachable = |source| Error::RedisUnavailable {
        address: address.clone(),
        source,
    };
    let client = redis::Client::open(url).map_err(unreachable)?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(TEST_TIMEOUT))
        .set_response_timeout(Some(TEST_TIMEOUT));
    let mut conn = client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| crate::connection::explain(e, &address))?;
    let started = Instant::now();
    redis::cmd("PING")
        .query_async::<String>(&mut conn)
        .await
        .map_err(|e| crate::connection::explain(e, &address))?;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if crate::connection::in_cluster_mode(&mut conn).await {
        return Err(crate::connection::cluster_node_named_alone(&address));
    }
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await
        .map_err(|e| crate::connection::explain(e, &address))?;
    Ok(ConnectionTest {
        address,
        version: redis_version(&info),
        latency_ms,
    })
}

/// [`test_connection`] for a cluster: through its seed nodes, the cluster must say every
/// slot is served (`cluster_state:ok`).
async fn test_cluster(urls: &str) -> Result<ConnectionTest> {
    let nodes: Vec<&str> = urls.split(',').collect();
    let opts = bullmq::options::RedisConnectionOptions {
        cluster_nodes: nodes.iter().map(|n| (*n).to_string()).collect(),
        ..Default::default()
    };
    let address = crate::config::cluster_address(&opts.cluster_nodes);
    let started = Instant::now();
    let probe = async {
        let conn = crate::connection::Connection::probe_once(&opts, &address).await?;
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        let infos: Vec<String> = conn
            .on_every_primary(redis::cmd("INFO").arg("server"))
            .await?;
        Ok::<_, Error>((latency_ms, infos))
    };
    let (latency_ms, infos) = tokio::time::timeout(TEST_TIMEOUT * 2, probe)
        .await
        .map_err(|_| Error::RedisUnavailable {
            address: address.clone(),
            source: redis::RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no answer",
            )),
        })??;
    Ok(ConnectionTest {
        version: infos
            .first()
            .map_or_else(|| "unknown".into(), |i| redis_version(i)),
        address,
        latency_ms,
    })
}

fn redis_version(info: &str) -> String {
    info.lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// A new saved connection's id (`conn-…`, from the clock).
fn new_connection_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("conn-{nanos:x}")
}

fn invalid(field: &str, rule: &str) -> Error {
    Error::InvalidJob {
        field: field.to_string(),
        rule: rule.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str) -> ConnectionInput {
        ConnectionInput {
            id: None,
            name: "production".into(),
            url: url.into(),
            tls: false,
            username: None,
            password: None,
        }
    }

    #[test]
    fn a_host_and_port_become_a_url_and_tls_sets_the_scheme() {
        let saved = input("redis.example:6380")
            .to_saved("c1".into(), false)
            .expect("valid");
        assert_eq!(saved.url, "redis://redis.example:6380");
        let tls = ConnectionInput {
            tls: true,
            username: Some(" app ".into()),
            ..input("redis://redis.example:6380/2")
        }
        .to_saved("c2".into(), true)
        .expect("valid");
        assert_eq!(tls.url, "rediss://redis.example:6380/2");
        assert_eq!(tls.username.as_deref(), Some("app"));
        assert_eq!(
            tls.url_with(Some("s3cr:t")).expect("url"),
            "rediss://app:s3cr%3At@redis.example:6380/2"
        );
        assert_eq!(
            saved.url_with(None).expect("url"),
            "redis://redis.example:6380"
        );
    }

    #[test]
    fn an_edit_keeps_the_id_and_the_stored_password_unless_told_otherwise() {
        let stored = input("host:6379")
            .to_saved("c1".into(), true)
            .expect("valid");
        let saved = std::slice::from_ref(&stored);
        let fresh = input("other:6379").resolve(saved).expect("new");
        assert!(
            fresh.id.starts_with("conn-") && fresh.id != "c1",
            "{fresh:?}"
        );
        assert!(!fresh.has_password);
        let edit = |password: Option<&str>| ConnectionInput {
            id: Some("c1".into()),
            password: password.map(str::to_string),
            ..input("host:6380")
        };
        let kept = edit(None).resolve(saved).expect("edit");
        assert_eq!((kept.id.as_str(), kept.has_password), ("c1", true));
        assert!(!edit(Some("")).resolve(saved).expect("clear").has_password);
        assert!(edit(Some("n3w")).resolve(saved).expect("set").has_password);
        let missing = ConnectionInput {
            id: Some("gone".into()),
            ..input("host:6379")
        }
        .resolve(saved)
        .expect_err("unknown id");
        assert_eq!(missing.code(), crate::ErrorCode::NotFound);
    }

    #[test]
    fn bad_connections_name_the_field() {
        let cases = [
            (input("redis://:pw@host:6379"), "url"),
            (input("http://host"), "url"),
            (input("redis://host:6379/db1"), "url"),
            (input("redis://"), "url"),
            (
                ConnectionInput {
                    name: " ".into(),
                    ..input("host:6379")
                },
                "name",
            ),
            (
                ConnectionInput {
                    username: Some("a@b".into()),
                    ..input("host:6379")
                },
                "username",
            ),
        ];
        for (input, field) in cases {
            let err = input
                .to_saved("c".into(), false)
                .expect_err(&format!("{input:?}"));
            assert!(
                err.to_string().starts_with(field),
                "{err} should name {field}"
            );
        }
    }

    #[test]
    fn the_list_keeps_one_entry_per_id_and_never_drops_the_one_in_use() {
        let a = input("redis://a:6379")
            .to_saved("conn-a".into(), false)
            .expect("a");
        let b = input("redis://b:6379")
            .to_saved("conn-b".into(), true)
            .expect("b");
        let mut saved = vec![a.clone()];
        upsert(&mut saved, b.clone());
        let mut renamed = a.clone();
        renamed.name = "renamed".into();
        upsert(&mut saved, renamed.clone());
        assert_eq!(
            saved,
            vec![renamed, b],
            "replaced in place, added at the end"
        );

        assert_eq!(find(&saved, "conn-b").expect("saved").url, "redis://b:6379");
        let missing = find(&saved, "conn-x").expect_err("not saved");
        assert_eq!(missing.code(), crate::ErrorCode::NotFound);
        assert_eq!(missing.to_string(), "saved connection conn-x not found");

        check_removable(&saved, Some("conn-a"), "conn-b").expect("not in use");
        check_removable(&saved, None, "conn-a").expect("nothing in use");
        let in_use = check_removable(&saved, Some("conn-a"), "conn-a").expect_err("in use");
        assert_eq!(in_use.code(), crate::ErrorCode::Conflict);
        assert!(
            in_use.to_string().contains("switch to another one first"),
            "{in_use}"
        );
        let gone = check_removable(&saved, Some("conn-a"), "conn-x").expect_err("unknown");
        assert_eq!(gone.code(), crate::ErrorCode::NotFound);
    }

    #[test]
    fn a_password_is_kept_removed_or_replaced_and_a_test_falls_back_to_the_stored_one() {
        let mut form = input("redis://a:6379");
        assert_eq!(form.password_change(), PasswordChange::Keep);
        assert_eq!(
            form.password_to_test(Some("stored".into())).as_deref(),
            Some("stored")
        );
        form.password = Some(String::new());
        assert_eq!(form.password_change(), PasswordChange::Remove);
        form.password = Some("new".into());
        assert_eq!(form.password_change(), PasswordChange::Set("new"));
        assert_eq!(
            form.password_to_test(Some("stored".into())).as_deref(),
            Some("new")
        );
    }
}
