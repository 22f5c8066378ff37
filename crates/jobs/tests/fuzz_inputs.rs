//! Property-based fuzzing (proptest) of the job handlers' parsers of outside input: job data
//! of every job type (what `addJob` checks before a job is accepted), URLs (scraping and
//! webhooks: scheme, host, the SSRF guard's address test), webhook headers, cleanup paths
//! (never outside the allowed roots), e-mail headers (no line breaks), and prices and
//! counts read from pages.
//!
//! Properties: no input panics; an accepted input has the guarantees its handler relies
//! on. Each property runs `PROPTEST_CASES` cases (256 by default); `make fuzz` runs more.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Component, PathBuf};

use antrian_core::config::{Config, LoadOptions};
use antrian_jobs::cleanup::temp_files::resolve;
use antrian_jobs::net::is_internal;
use antrian_jobs::notify::webhook;
use antrian_jobs::scrape::input::page_url;
use antrian_jobs::scrape::marketplace::parse_target;
use antrian_jobs::scrape::product::{parse_amount, parse_count};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde_json::{json, Value};

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e9f64..1e9).prop_map(|n| json!(n)),
        ".{0,16}".prop_map(Value::String),
        url_like().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map(field_name(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names the job types use, and some they do not.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop_oneof![
            Just("url"),
            Just("shopUrl"),
            Just("urls"),
            Just("options"),
            Just("data"),
            Just("method"),
            Just("headers"),
            Just("to"),
            Just("subject"),
            Just("template"),
            Just("olderThan"),
            Just("collections"),
            Just("directory"),
            Just("pattern"),
            Just("dryRun"),
            Just("validationRules"),
            Just("field"),
            Just("type"),
            Just("required"),
            Just("products"),
            Just("dateRange"),
            Just("start"),
            Just("end"),
            Just("concurrency"),
            Just("index"),
            Just("documents"),
        ]
        .prop_map(String::from),
        "[a-zA-Z]{1,10}",
    ]
}

/// Strings that look like URLs, good and bad.
fn url_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            4 => prop_oneof![Just("http://"), Just("https://"), Just("HTTP://")],
            2 => prop_oneof![Just("ftp://"), Just("file://"), Just("javascript:"), Just(""), Just("//")],
        ],
        prop_oneof![
            Just("shopee.co.id"), Just("127.0.0.1"), Just("[::1]"), Just("169.254.169.254"),
            Just("localhost"), Just("xn--80ak6aa92e.com"), Just(""), Just("user:pw@host"),
            Just("0x7f.1"), Just("[::ffff:10.0.0.1]"), Just("a..b"),
        ],
        prop_oneof![Just(""), Just(":8080"), Just(":0"), Just(":99999")],
        prop_oneof![
            Just("".to_string()), Just("/product/123/456".to_string()), Just("/a-i.1.2".to_string()),
            Just("/shop/9".to_string()), "/[a-z0-9./%?#=&-]{0,30}",
        ],
    )
        .prop_map(|(scheme, host, port, path)| format!("{scheme}{host}{port}{path}"))
}

/// `send-webhook` data: URLs, methods and headers, good and bad.
fn webhook_data() -> impl Strategy<Value = Value> {
    (
        url_like(),
        prop_oneof![
            3 => prop_oneof![Just("post"), Just("PUT"), Just("patch"), Just("GET"), Just("DELETE")].prop_map(String::from),
            1 => ".{0,6}",
        ],
        prop::collection::btree_map(
            prop_oneof![
                3 => Just("X-Shop".to_string()),
                1 => Just("Webhook-Signature".to_string()),
                1 => Just("Host".to_string()),
                1 => ".{0,12}",
            ],
            prop_oneof![
                3 => Just("ok".to_string()),
                1 => Just("a\r\nInjected: 1".to_string()),
                1 => Just("b\nc".to_string()),
                1 => ".{0,16}",
            ],
            0..3,
        ),
    )
        .prop_map(|(url, method, headers)| {
            json!({"url": url, "method": method, "data": {"event": "x"}, "headers": headers})
        })
}

/// Every (queue, job name) a pool handles, plus unknown names.
const JOBS: [(&str, &str); 16] = [
    ("scraping-queue", "product-scraping"),
    ("scraping-queue", "shop-scraping"),
    ("scraping-queue", "order-scraping"),
    ("scraping-queue", "batch-scraping"),
    ("data-processing-queue", "save-product-data"),
    ("data-processing-queue", "validate-data"),
    ("data-processing-queue", "export-data"),
    ("data-processing-queue", "index-search"),
    ("notifications-queue", "send-email"),
    ("notifications-queue", "send-webhook"),
    ("notifications-queue", "send-notification"),
    ("cleanup-queue", "cleanup-old-data"),
    ("cleanup-queue", "cleanup-temp-files"),
    ("cleanup-queue", "optimize-database"),
    ("scraping-queue", "no-such-job"),
    ("elsewhere-queue", "product-scraping"),
];

fn config() -> &'static Config {
    static CELL: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CELL.get_or_init(|| {
        Config::load(&LoadOptions::from_vars([(
            "CLEANUP_ALLOWED_DIRS",
            "/tmp/antrian-fuzz",
        )]))
        .expect("config")
    })
}

proptest! {
    /// Job data of every type, as the API, the CLI and Node.js producers send it: checked
    /// without panicking; a refusal explains itself.
    #[test]
    fn job_data_of_every_type_is_checked_without_panicking(
        job in 0..JOBS.len(),
        data in any_json(),
    ) {
        let (queue, name) = JOBS[job];
        if let Err(refusal) = antrian_jobs::check_job(config(), queue, name, &data) {
            prop_assert!(refusal.rule.len() > 10, "{name} {data}: {refusal}");
        }
    }

    /// A URL a job wants fetched is absolute http(s) with a host, or refused naming the
    /// field; a marketplace URL is read without panicking.
    #[test]
    fn page_urls_are_http_with_a_host_or_refused(raw in prop_oneof![url_like(), ".{0,40}"]) {
        match page_url("url", &raw) {
            Ok(url) => {
                prop_assert!(matches!(url.scheme(), "http" | "https"), "{raw}");
                prop_assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{raw}");
                let _ = parse_target(&url);
            }
            Err(message) => prop_assert!(message.starts_with("url `"), "{raw}: {message}"),
        }
    }

    /// Webhook data: an accepted job has an http(s) URL, POST/PUT/PATCH, and headers that
    /// cannot smuggle a line break or override the signature.
    #[test]
    fn webhook_data_cannot_smuggle_headers(data in webhook_data()) {
        if let Ok((job, parsed, verb)) = webhook::parse(&data) {
            prop_assert!(matches!(parsed.scheme(), "http" | "https"));
            prop_assert!(["POST", "PUT", "PATCH"].contains(&verb.as_str()));
            for (name, value) in &job.headers {
                prop_assert!(!value.contains(['\r', '\n']), "{name}: {value:?}");
                prop_assert!(!name.to_ascii_lowercase().starts_with("webhook-"), "{name}");
                prop_assert!(!name.eq_ignore_ascii_case("host"), "{name}");
            }
        }
    }

    /// E-mail data: an accepted message has recipients and a subject that cannot carry a
    /// line break into the headers (no `Bcc:` smuggled through `to` or `subject`).
    #[test]
    fn email_headers_cannot_be_smuggled(
        to in prop::collection::vec(prop_oneof![
            3 => Just("ops@shop.example".to_string()),
            1 => Just("Ops <ops@shop.example>".to_string()),
            1 => Just("a@x.com\r\nBcc: evil@x.com".to_string()),
            1 => Just("a@x.com\nBcc: evil@x.com".to_string()),
            1 => ".{0,24}",
        ], 0..3),
        subject in prop_oneof![
            3 => Just("Job failed".to_string()),
            1 => Just("hi\r\nBcc: evil@x.com".to_string()),
            1 => ".{0,40}",
        ],
        template in prop_oneof![Just("notice"), Just("job-completion"), Just("no-such-template")],
        data in any_json(),
    ) {
        let raw = json!({"to": to, "subject": subject, "template": template, "data": data});
        if let Ok(message) = antrian_jobs::notify::email::prepare(&raw) {
            prop_assert!(!message.to.is_empty());
            prop_assert!(!message.subject.contains(['\r', '\n']), "{raw}");
            for mailbox in &message.to {
                prop_assert!(!mailbox.to_string().contains(['\r', '\n']), "{raw}");
            }
        }
    }

    /// The SSRF guard: an IPv4 address is internal exactly when its IPv4-mapped IPv6 form
    /// is (no bypass through `::ffff:10.0.0.1`), and loopback/private/link-local are
    /// always internal.
    #[test]
    fn the_ssrf_guard_sees_through_mapped_addresses(octets in any::<[u8; 4]>()) {
        let v4 = Ipv4Addr::from(octets);
        let mapped = IpAddr::V6(v4.to_ipv6_mapped());
        prop_assert_eq!(is_internal(IpAddr::V4(v4)), is_internal(mapped), "{}", v4);
        if v4.is_loopback() || v4.is_private() || v4.is_link_local() {
            prop_assert!(is_internal(IpAddr::V4(v4)), "{}", v4);
        }
    }

    /// IPv6 loopback, unique-local and link-local are internal.
    #[test]
    fn internal_ipv6_ranges_are_refused(segments in any::<[u16; 8]>(), pick in 0..3usize) {
        let mut s = segments;
        match pick {
            0 => s = [0, 0, 0, 0, 0, 0, 0, 1],
            1 => s[0] = 0xfc00 | (s[0] & 0x01ff),
            _ => s[0] = 0xfe80 | (s[0] & 0x003f),
        }
        let ip = Ipv6Addr::from(s);
        prop_assert!(is_internal(IpAddr::V6(ip)), "{}", ip);
    }

    /// A cleanup directory resolves inside an allowed root, or is refused: no `..`, no
    /// absolute path elsewhere, no NUL.
    #[test]
    fn cleanup_paths_never_leave_the_allowed_roots(
        parts in prop::collection::vec(prop_oneof![
            Just("..".to_string()), Just(".".to_string()), Just("".to_string()),
            Just("tmp".to_string()), Just("antrian-fuzz".to_string()), Just("etc".to_string()),
            Just("a\0b".to_string()), "[a-z.]{1,6}",
        ], 0..6),
        absolute in any::<bool>(),
    ) {
        let raw = format!("{}{}", if absolute { "/" } else { "" }, parts.join("/"));
        let roots = [PathBuf::from("/tmp/antrian-fuzz"), PathBuf::from("/var/tmp/antrian")];
        if let Ok((root, inside)) = resolve(&roots, &raw) {
            prop_assert!(roots.contains(&root), "{raw}");
            prop_assert!(inside.is_relative(), "{raw}: {inside:?}");
            prop_assert!(
                inside.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
                "{raw}: {inside:?}"
            );
        }
    }

    /// Prices and counts as pages write them: read as finite, non-negative numbers or not
    /// at all.
    #[test]
    fn prices_and_counts_from_pages_never_panic(
        text in prop_oneof![
            ".{0,24}",
            "(Rp|\\$|€|IDR)? ?[0-9]{0,9}([.,][0-9]{0,3}){0,3} ?(k|rb|jt|RB|sold|€)?",
        ],
    ) {
        if let Some(amount) = parse_amount(&text) {
            prop_assert!(amount.is_finite() && amount >= 0.0, "{text:?}: {amount}");
        }
        let _ = parse_count(&text);
    }
}

#[test]
fn the_fuzz_inputs_reach_both_sides() {
    // A guard against generators that never produce an accepted (or a refused) input:
    // the properties above would then test one branch only.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut accepted = 0;
    for _ in 0..500 {
        let data = webhook_data()
            .new_tree(&mut runner)
            .expect("tree")
            .current();
        accepted += usize::from(webhook::parse(&data).is_ok());
    }
    assert!(
        (25..475).contains(&accepted),
        "webhooks accepted: {accepted} of 500"
    );
    let mut accepted = 0;
    for _ in 0..500 {
        let raw = url_like().new_tree(&mut runner).expect("tree").current();
        accepted += usize::from(page_url("url", &raw).is_ok());
    }
    assert!(
        (25..475).contains(&accepted),
        "URLs accepted: {accepted} of 500"
    );
}
