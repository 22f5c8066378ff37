//! What the window's web view may leave out: Antrian's UI is one local page of tables and
//! charts, so WebKitGTK's caches for browsing and its media and 3D features only cost
//! memory. Each lever here was measured by `bench/desktop_memory.sh` against an empty Tauri
//! window (bench/README.md, "Desktop memory against the platform"); the ones that did not
//! measure better are not here.
//!
//! `ANTRIAN_WEBVIEW_DEFAULTS` (a comma list of lever names, or `all`) leaves levers at
//! WebKit's defaults, so the benchmark can show what each one is worth; users have no
//! reason to set it.

/// Whether `lever` (`cache-model`, `page-cache`, `web-features`, `compositing`,
/// `malloc-trim`) is in use: not named in `ANTRIAN_WEBVIEW_DEFAULTS`.
fn in_use(lever: &str) -> bool {
    not_left_at_default(
        std::env::var("ANTRIAN_WEBVIEW_DEFAULTS").ok().as_deref(),
        lever,
    )
}

fn not_left_at_default(defaults: Option<&str>, lever: &str) -> bool {
    !defaults.is_some_and(|list| {
        list.split(',')
            .map(str::trim)
            .any(|name| name == "all" || name == lever)
    })
}

/// Applies the levers to the main window's web view.
pub fn tune(window: &tauri::WebviewWindow) {
    #[cfg(target_os = "linux")]
    if let Err(e) = window.with_webview(|webview| linux::tune(&webview.inner())) {
        tracing::debug!("cannot tune the web view: {e}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// Gives the app process's freed memory back to the system now and then (glibc keeps freed
/// heap in its per-thread arenas otherwise). Returns at once where there is nothing to do.
pub fn start_trimming() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if in_use("malloc-trim") {
        std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| loop {
                std::thread::sleep(std::time::Duration::from_secs(30));
                linux::trim();
            })
            .map(drop)
            .unwrap_or_else(|e| tracing::debug!("no allocator trimming: {e}"));
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::in_use;
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };

    pub(super) fn tune(webview: &webkit2gtk::WebView) {
        if in_use("cache-model") {
            if let Some(context) = webview.context() {
                // One local page: nothing to keep for pages that may be visited again.
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        let Some(settings) = WebViewExt::settings(webview) else {
            return;
        };
        if in_use("page-cache") {
            // Back/forward cache: the UI never navigates away from its one page.
            settings.set_enable_page_cache(false);
        }
        if in_use("web-features") {
            // Canvas 2D draws the charts; nothing plays media or renders 3D.
            settings.set_enable_webgl(false);
            settings.set_enable_webaudio(false);
            settings.set_enable_media(false);
            settings.set_enable_mediasource(false);
            settings.set_enable_media_stream(false);
        }
        if in_use("compositing") {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    }

    #[cfg(target_env = "gnu")]
    pub(super) fn trim() {
        // SAFETY: malloc_trim takes no pointers and only walks glibc's own arenas under
        // their locks; it is safe to call from any thread at any time.
        #[allow(unsafe_code)]
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::not_left_at_default;

    #[test]
    fn levers_are_used_unless_left_at_their_defaults() {
        assert!(not_left_at_default(None, "cache-model"));
        assert!(not_left_at_default(Some(""), "cache-model"));
        assert!(not_left_at_default(Some("page-cache"), "cache-model"));
        assert!(!not_left_at_default(
            Some("page-cache, cache-model"),
            "cache-model"
        ));
        assert!(!not_left_at_default(Some("all"), "malloc-trim"));
    }
}
