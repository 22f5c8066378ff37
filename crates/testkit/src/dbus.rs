//! A private D-Bus session bus per test, with the two desktop services the app talks to:
//!
//! - [`Notifications`]: a freedesktop notification server (`org.freedesktop.Notifications`)
//!   that records every `Notify` call and can click a notification's action, as a desktop's
//!   notification daemon would.
//! - [`TrayHost`]: a StatusNotifier host (`org.kde.StatusNotifierWatcher`), what a panel
//!   runs: it learns the app's tray item, reads its menu over `com.canonical.dbusmenu` and
//!   clicks its entries, as a user clicking the tray menu does.
//!
//! Both are the real protocols the app's libraries speak (notify-rust; Tauri's tray through
//! libayatana-appindicator); only the screen they would draw on is missing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedValue, Value};

/// A `dbus-daemon --session` owned by the test; stopped when dropped.
#[derive(Debug)]
pub struct DbusSession {
    child: Child,
    address: String,
}

impl DbusSession {
    /// Starts a session bus.
    ///
    /// # Panics
    /// When `dbus-daemon` is missing (`sudo apt-get install dbus`) or does not start.
    pub fn start() -> Self {
        let mut child = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon (sudo apt-get install dbus)");
        let mut line = String::new();
        // The address is printed once the bus accepts connections: the ready signal.
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the bus address");
        let address = line.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        Self { child, address }
    }

    /// The bus address, for `DBUS_SESSION_BUS_ADDRESS`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Waits until some connection owns `name` on this bus (a service the test started
    /// in another process), for at most `timeout`; whether it did.
    pub async fn wait_for_name(&self, name: &str, timeout: Duration) -> bool {
        use futures_util::StreamExt;
        let conn = self
            .connect()
            .await
            .build()
            .await
            .expect("connect to the bus");
        let bus = zbus::fdo::DBusProxy::new(&conn).await.expect("bus proxy");
        let name = zbus::names::BusName::try_from(name.to_string()).expect("a bus name");
        // Subscribe first, then ask: an owner that appears in between is not missed.
        let mut changes = bus
            .receive_name_owner_changed()
            .await
            .expect("NameOwnerChanged");
        if bus.name_has_owner(name.clone()).await.unwrap_or(false) {
            return true;
        }
        tokio::time::timeout(timeout, async {
            while let Some(signal) = changes.next().await {
                let owned = signal
                    .args()
                    .is_ok_and(|a| a.name() == &name && a.new_owner().is_some());
                if owned {
                    return true;
                }
            }
            false
        })
        .await
        .unwrap_or(false)
    }

    async fn connect(&self) -> zbus::connection::Builder<'static> {
        zbus::connection::Builder::address(self.address.as_str()).expect("bus address")
    }
}

impl Drop for DbusSession {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `Notify` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The id the server gave it.
    pub id: u32,
    /// `app_name`.
    pub app: String,
    /// The summary line.
    pub summary: String,
    /// The body.
    pub body: String,
    /// Action keys and labels, alternating.
    pub actions: Vec<String>,
}

struct NotificationServer {
    next_id: Mutex<u32>,
    calls: mpsc::UnboundedSender<Notice>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationServer {
    #[expect(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(|p| p.into_inner());
            *next += 1;
            *next
        };
        let _ = self.calls.send(Notice {
            id,
            app: app_name,
            summary,
            body,
            actions,
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["actions".into(), "body".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "antrian-testkit".into(),
            "antrian".into(),
            "1".into(),
            "1.2".into(),
        )
    }

    async fn close_notification(
        &self,
        id: u32,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        Self::notification_closed(&emitter, id, 3).await?;
        Ok(())
    }

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn notification_closed(
        emitter: &SignalEmitter<'_>,
        id: u32,
        reason: u32,
    ) -> zbus::Result<()>;
}

const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";

/// A notification server on a [`DbusSession`], recording what the app sends.
#[derive(Debug)]
pub struct Notifications {
    conn: zbus::Connection,
    calls: tokio::sync::Mutex<mpsc::UnboundedReceiver<Notice>>,
}

impl Notifications {
    /// Serves `org.freedesktop.Notifications` on `session`.
    pub async fn serve(session: &DbusSession) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let server = NotificationServer {
            next_id: Mutex::new(0),
            calls: tx,
        };
        let conn = session
            .connect()
            .await
            .name("org.freedesktop.Notifications")
            .expect("name")
            .serve_at(NOTIFICATIONS_PATH, server)
            .expect("serve")
            .build()
            .await
            .expect("the notification server joins the bus");
        Self {
            conn,
            calls: tokio::sync::Mutex::new(rx),
        }
    }

    /// The next `Notify` call, or `None` when none arrives within `timeout`.
    pub async fn next(&self, timeout: Duration) -> Option<Notice> {
        let mut calls = self.calls.lock().await;
        tokio::time::timeout(timeout, calls.recv())
            .await
            .ok()
            .flatten()
    }

    /// Clicks `action` of notification `id`, as a user clicking it does. The signal has no
    /// acknowledgement: a client that has not subscribed yet misses it, as it would miss a
    /// real click that early.
    pub async fn click(&self, id: u32, action: &str) {
        let emitter = SignalEmitter::new(&self.conn, NOTIFICATIONS_PATH).expect("path");
        NotificationServer::action_invoked(&emitter, id, action)
            .await
            .expect("ActionInvoked");
    }
}

struct Watcher {
    items: watch::Sender<Vec<(String, String)>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        let sender = header.sender().map(ToString::to_string).unwrap_or_default();
        // An item registers either its object path (on its own connection) or a bus name.
        let (bus, path) = if service.starts_with('/') {
            (sender, service.to_string())
        } else {
            (service.to_string(), "/StatusNotifierItem".to_string())
        };
        let full = format!("{bus}{path}");
        self.items.send_modify(|items| items.push((bus, path)));
        Self::status_notifier_item_registered(&emitter, &full).await?;
        Ok(())
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .borrow()
            .iter()
            .map(|(bus, path)| format!("{bus}{path}"))
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// One entry of a tray menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuEntry {
    /// The dbusmenu id.
    pub id: i32,
    /// Its label.
    pub label: String,
    /// Whether it can be clicked.
    pub enabled: bool,
}

#[derive(Debug, serde::Deserialize, zbus::zvariant::Type, zbus::zvariant::OwnedValue)]
struct Layout {
    id: i32,
    props: HashMap<String, OwnedValue>,
    children: Vec<OwnedValue>,
}

/// A StatusNotifier host on a [`DbusSession`]: where tray icons register.
#[derive(Debug)]
pub struct TrayHost {
    conn: zbus::Connection,
    items: watch::Receiver<Vec<(String, String)>>,
}

impl TrayHost {
    /// Serves `org.kde.StatusNotifierWatcher` on `session`.
    pub async fn serve(session: &DbusSession) -> Self {
        let (tx, rx) = watch::channel(Vec::new());
        let conn = session
            .connect()
            .await
            .name("org.kde.StatusNotifierWatcher")
            .expect("name")
            .serve_at("/StatusNotifierWatcher", Watcher { items: tx })
            .expect("serve")
            .build()
            .await
            .expect("the tray host joins the bus");
        Self { conn, items: rx }
    }

    /// The first tray item to register (bus name, object path), waiting up to `timeout`.
    pub async fn item(&self, timeout: Duration) -> Option<(String, String)> {
        let mut items = self.items.clone();
        let found = tokio::time::timeout(timeout, items.wait_for(|i| !i.is_empty()))
            .await
            .ok()?
            .ok()?
            .first()
            .cloned();
        found
    }

    /// The entries of `item`'s menu, in order (separators left out).
    pub async fn menu(&self, item: &(String, String)) -> zbus::Result<Vec<MenuEntry>> {
        let menu = self.menu_proxy(item).await?;
        let (_revision, layout): (u32, Layout) = menu
            .call("GetLayout", &(0i32, -1i32, Vec::<String>::new()))
            .await?;
        let mut entries = Vec::new();
        walk(layout, &mut entries);
        Ok(entries)
    }

    /// Clicks the entry labelled `label` in `item`'s menu.
    pub async fn click(&self, item: &(String, String), label: &str) -> zbus::Result<()> {
        let entry = self
            .menu(item)
            .await?
            .into_iter()
            .find(|e| e.label == label)
            .ok_or_else(|| zbus::Error::Failure(format!("no tray menu entry {label:?}")))?;
        let menu = self.menu_proxy(item).await?;
        menu.call_method("Event", &(entry.id, "clicked", Value::I32(0), 0u32))
            .await?;
        Ok(())
    }

    async fn menu_proxy(&self, (bus, path): &(String, String)) -> zbus::Result<zbus::Proxy<'_>> {
        let item = zbus::Proxy::new(
            &self.conn,
            bus.as_str(),
            path.as_str(),
            "org.kde.StatusNotifierItem",
        )
        .await?;
        let menu: zbus::zvariant::OwnedObjectPath = item.get_property("Menu").await?;
        zbus::Proxy::new(&self.conn, bus.clone(), menu, "com.canonical.dbusmenu").await
    }
}

fn walk(layout: Layout, out: &mut Vec<MenuEntry>) {
    let text = |key: &str| {
        layout
            .props
            .get(key)
            .and_then(|v| <&str>::try_from(&**v).ok().map(str::to_string))
    };
    if let Some(label) = text("label") {
        let enabled = layout
            .props
            .get("enabled")
            .and_then(|v| bool::try_from(&**v).ok())
            .unwrap_or(true);
        out.push(MenuEntry {
            id: layout.id,
            label: label.replace('_', ""),
            enabled,
        });
    }
    for child in layout.children {
        // Each child is a variant holding a layout.
        let inner = match &*child {
            Value::Value(inner) => (**inner).try_clone(),
            other => other.try_clone(),
        };
        let layout = inner
            .ok()
            .and_then(|v| OwnedValue::try_from(v).ok())
            .and_then(|v| Layout::try_from(v).ok());
        if let Some(layout) = layout {
            walk(layout, out);
        }
    }
}
