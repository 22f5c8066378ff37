//! An empty Tauri 2 window showing a static page: what any Tauri app costs on this
//! platform, measured beside antrian-desktop by `bench/desktop_memory.sh`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("cannot open the baseline window");
}
