//! Living under a service manager: readiness and status lines for systemd (`Type=notify`,
//! `WatchdogSec=`), and stopping cleanly on the signals a service manager or a terminal
//! sends.
//!
//! systemd's protocol exists on Linux only; elsewhere [`notify`] does nothing and there
//! is no watchdog. On Windows the process stops on Ctrl+C, on the console being closed
//! and on system shutdown (a Windows service wrapper such as NSSM sends Ctrl+C).

use std::time::Duration;

use antrian_core::CancellationToken;

/// What the process tells its service manager.
#[cfg_attr(
    not(target_os = "linux"),
    expect(dead_code, reason = "only systemd reads the states")
)]
#[derive(Debug, Clone, Copy)]
pub enum State<'a> {
    /// Start-up is complete.
    Ready,
    /// Shutting down.
    Stopping,
    /// The one-line status `systemctl status` shows.
    Status(&'a str),
    /// "Still alive", for `WatchdogSec=`.
    Watchdog,
}

/// Tells a service manager how the process stands (a datagram to `$NOTIFY_SOCKET`);
/// nothing when none is listening.
#[cfg(target_os = "linux")]
pub fn notify(states: &[State<'_>]) {
    use sd_notify::NotifyState;
    let states: Vec<NotifyState<'_>> = states
        .iter()
        .map(|s| match *s {
            State::Ready => NotifyState::Ready,
            State::Stopping => NotifyState::Stopping,
            State::Status(text) => NotifyState::Status(text),
            State::Watchdog => NotifyState::Watchdog,
        })
        .collect();
    if let Err(e) = sd_notify::notify(false, &states) {
        tracing::warn!("cannot notify the service manager: {e}");
    }
}

/// No service manager protocol on this platform.
#[cfg(not(target_os = "linux"))]
pub fn notify(_states: &[State<'_>]) {}

/// How often the unit wants a watchdog ping, when it asked for one (`WatchdogSec=`).
#[cfg(target_os = "linux")]
fn watchdog_period() -> Option<Duration> {
    let mut usec = 0;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec))
}

#[cfg(not(target_os = "linux"))]
fn watchdog_period() -> Option<Duration> {
    None
}

/// Keeps the service manager's status line on the health verdict (`systemctl status`
/// shows "degraded: no worker is consuming …"), and, when the unit asks for a watchdog
/// (`WatchdogSec=`), pings it from the same loop: a process whose runtime stops answering
/// is restarted. An unhealthy Redis does not stop the pings — restarting would not fix it.
pub async fn report_health(handle: antrian_core::runtime::Handle, cancel: CancellationToken) {
    let watchdog = watchdog_period();
    let every = watchdog.map_or(Duration::from_secs(15), |period| {
        (period / 2).max(Duration::from_millis(500))
    });
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let verdict = match tokio::time::timeout(every, handle.health_status()).await {
            Ok(Ok(h)) => {
                let level = serde_json::to_value(h.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default();
                if h.reasons.is_empty() {
                    level
                } else {
                    format!("{level}: {}", h.reasons.join("; "))
                }
            }
            Ok(Err(e)) => format!("health unknown: {e}"),
            Err(_) => "health unknown: no answer in time".to_string(),
        };
        let status = State::Status(&verdict);
        if watchdog.is_some() {
            notify(&[status, State::Watchdog]);
        } else {
            notify(&[status]);
        }
    }
}

/// Cancels `cancel` on SIGINT or SIGTERM.
#[cfg(unix)]
pub async fn cancel_on_signal(cancel: CancellationToken) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM: {e}");
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    cancel.cancel();
}

/// Cancels `cancel` on Ctrl+C, the console closing, or the system shutting down.
#[cfg(windows)]
pub async fn cancel_on_signal(cancel: CancellationToken) {
    use tokio::signal::windows::{ctrl_close, ctrl_shutdown};
    let (Ok(mut close), Ok(mut shutdown)) = (ctrl_close(), ctrl_shutdown()) else {
        tracing::error!("cannot listen for the console closing");
        let _ = tokio::signal::ctrl_c().await;
        cancel.cancel();
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = close.recv() => {}
        _ = shutdown.recv() => {}
    }
    cancel.cancel();
}
