//! The job-type catalogue against the handlers it describes: the names are exactly the ones
//! the pools route, every example passes the check a job is added with, and the schema
//! agrees with the struct each handler parses (required fields, unknown fields, choices).

mod common;

use antrian_core::queue::JobOptionsInput;
use antrian_core::worker::WorkerType;
use antrian_core::Runtime;
use antrian_jobs::catalogue;
use antrian_testkit::TestRedis;
use serde_json::{json, Map, Value};

async fn runtime(redis: &TestRedis, dir: &tempfile::TempDir) -> Runtime {
    common::runtime(&redis.url(), dir.path(), &[], &[]).await
}

async fn check(rt: &Runtime, queue: &str, name: &str, data: &Value) -> Result<(), String> {
    rt.queues()
        .check_new_job(queue, name, data, &JobOptionsInput::default())
        .await
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_catalogue_names_exactly_the_jobs_each_pool_runs() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = runtime(&redis, &dir).await;
    let registry = antrian_jobs::setup(&rt).expect("handlers");
    for worker in WorkerType::ALL {
        let mut routed = registry.names(worker);
        routed.sort_unstable();
        let mut listed = catalogue::names(worker);
        listed.sort_unstable();
        assert_eq!(routed, listed, "{worker:?}");
    }
    let types = catalogue::job_types();
    assert_eq!(types.len(), 12, "the seed's eleven and save-order-data");
    for t in &types {
        assert!(
            !t.label.is_empty() && !t.description.is_empty(),
            "{}",
            t.name
        );
        assert_eq!(t.schema["type"], "object", "{}", t.name);
    }
}

/// Each property path (`dateRange.start`) of an object schema, with its schema, whether it
/// is required and whether the example has it.
fn properties<'a>(schema: &'a Value, prefix: &str, out: &mut Vec<(String, &'a Value, bool)>) {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(props) = schema["properties"].as_object() {
        for (key, sub) in props {
            let path = format!("{prefix}{key}");
            out.push((path.clone(), sub, required.contains(&key.as_str())));
            if sub["type"] == "object" {
                properties(sub, &format!("{path}."), out);
            }
        }
    }
}

fn get<'a>(data: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(data, |v, k| v.get(k))
}

/// The object holding `path`'s last key, and that key.
fn parent<'a, 'p>(data: &'a mut Value, path: &'p str) -> (&'a mut Map<String, Value>, &'p str) {
    let mut keys: Vec<&str> = path.split('.').collect();
    let last = keys.pop().expect("a key");
    let mut node = data;
    for k in keys {
        node = node.get_mut(k).expect("present");
    }
    (node.as_object_mut().expect("an object"), last)
}

#[tokio::test]
async fn every_example_passes_and_each_schema_agrees_with_its_handlers_struct() {
    let redis = TestRedis::start();
    let dir = tempfile::tempdir().expect("tempdir");
    // cleanup-temp-files resolves its example's directories inside the allowed root.
    std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp");
    let rt = runtime(&redis, &dir).await;
    for t in catalogue::job_types() {
        let (queue, name) = (t.queue.as_str(), t.name.as_str());
        check(&rt, queue, name, &t.example)
            .await
            .unwrap_or_else(|e| panic!("{name}: its example is refused: {e}"));
        let mut props = Vec::new();
        properties(&t.schema, "", &mut props);
        for (path, sub, required) in props {
            let Some(value) = get(&t.example, &path) else {
                assert!(!required, "{name}: the example lacks required `{path}`");
                continue;
            };
            // Without the field: refused exactly when the schema says it is required.
            let mut without = t.example.clone();
            let (obj, key) = parent(&mut without, &path);
            obj.remove(key);
            let outcome = check(&rt, queue, name, &without).await;
            if required {
                let e = outcome.expect_err(&format!("{name}: `{path}` is required"));
                assert!(e.contains(key), "{name}: {e}");
            } else {
                // The struct takes it without; a rule on other fields may still need it
                // (an e-mail template's variables), but never as a missing field.
                assert!(
                    outcome
                        .as_ref()
                        .err()
                        .is_none_or(|e| !e.contains("missing field")),
                    "{name}: `{path}` is optional: {outcome:?}"
                );
            }
            // A choice the schema does not list is refused; the example's is listed.
            if let Some(choices) = sub["enum"].as_array() {
                assert!(choices.contains(value), "{name}: `{path}` = {value}");
                let mut other = t.example.clone();
                let (obj, key) = parent(&mut other, &path);
                obj.insert(key.to_string(), json!("not-one-of-them"));
                assert!(
                    check(&rt, queue, name, &other).await.is_err(),
                    "{name}: `{path}` outside its enum"
                );
            }
        }
        // Unknown fields: refused exactly when the schema says so.
        let mut extra = t.example.clone();
        extra
            .as_object_mut()
            .expect("object")
            .insert("notAField".into(), json!(1));
        let outcome = check(&rt, queue, name, &extra).await;
        if t.schema["additionalProperties"] == json!(false) {
            assert!(outcome.is_err(), "{name}: unknown fields are refused");
        } else {
            assert!(outcome.is_ok(), "{name}: unknown fields pass: {outcome:?}");
        }
    }
}

#[tokio::test]
async fn rust_choices_are_enums_in_the_schemas() {
    let types = catalogue::job_types();
    let schema = |name: &str| {
        types
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.schema.clone())
            .expect(name)
    };
    assert_eq!(
        schema("batch-scraping")["properties"]["type"]["enum"],
        json!(["product", "shop"])
    );
    assert_eq!(
        schema("send-webhook")["properties"]["method"]["enum"],
        json!(["POST", "PUT", "PATCH"])
    );
    assert_eq!(
        schema("update-elasticsearch")["properties"]["operation"]["enum"],
        json!(["index", "update", "delete"])
    );
    assert!(schema("send-email")["properties"]["template"]["enum"]
        .as_array()
        .is_some_and(|t| t.contains(&json!("notice"))));
    assert_eq!(
        schema("order-scraping")["properties"]["dateRange"]["properties"]["start"]["format"],
        "date"
    );
    assert_eq!(
        schema("product-scraping")["properties"]["url"]["format"],
        "uri"
    );
}
