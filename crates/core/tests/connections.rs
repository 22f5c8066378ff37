//! "Test connection" against real servers: a good one, a wrong password, nothing listening.

use antrian_core::store::connections::{test_connection, ConnectionInput};
use antrian_core::ErrorCode;
use antrian_testkit::{free_port, RedisOptions, TestRedis};

#[tokio::test]
async fn a_connection_test_reports_the_version_or_names_what_failed() {
    let redis = TestRedis::start_with(RedisOptions {
        password: Some("s3cret".into()),
        ..Default::default()
    });
    let saved = ConnectionInput {
        id: None,
        name: "local".into(),
        url: format!("127.0.0.1:{}", redis.port()),
        tls: false,
        username: None,
        password: None,
    }
    .to_saved("c1".into(), true)
    .expect("valid");

    let ok = test_connection(&saved.url_with(Some("s3cret")).expect("url"))
        .await
        .expect("the right password connects");
    assert!(ok.version.starts_with(char::is_numeric), "{ok:?}");
    assert!(!ok.address.contains("s3cret"), "no password in {ok:?}");

    let wrong = test_connection(&saved.url_with(Some("nope")).expect("url"))
        .await
        .expect_err("a wrong password");
    assert!(
        wrong.to_string().contains("rejected the password"),
        "{wrong}"
    );
    assert!(
        !wrong.to_string().contains("nope"),
        "no password in {wrong}"
    );

    let none = test_connection(&format!("redis://127.0.0.1:{}", free_port()))
        .await
        .expect_err("nothing listens");
    assert_eq!(none.code(), ErrorCode::Unavailable, "{none}");
}

/// A Redis Cluster entered in the Settings form as its nodes, comma-separated: saved as a
/// cluster, named to the configuration as `REDIS_CLUSTER_NODES`, and tested through its
/// nodes; a server without cluster mode entered as a cluster is named as such.
#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_is_saved_and_tested_through_its_nodes() {
    let cluster = antrian_testkit::cluster::TestCluster::start(3, 0);
    let seeds = cluster.seeds();
    let two: Vec<&str> = seeds.split(',').take(2).collect();
    let saved = ConnectionInput {
        id: None,
        name: "cluster".into(),
        url: two.join(", "),
        tls: false,
        username: None,
        password: None,
    }
    .to_saved("c1".into(), false)
    .expect("valid");
    assert!(saved.is_cluster(), "{saved:?}");
    let (var, value) = saved.env_with(None).expect("env");
    assert_eq!(var, "REDIS_CLUSTER_NODES");
    assert_eq!(value, format!("redis://{},redis://{}", two[0], two[1]));

    let ok = test_connection(&value).await.expect("the cluster answers");
    assert!(ok.version.starts_with(char::is_numeric), "{ok:?}");
    assert_eq!(ok.address, format!("cluster {}", two.join(",")));

    let single = TestRedis::start();
    let not_a_cluster = test_connection(&format!("{},{}", single.url(), single.url()))
        .await
        .expect_err("a standalone server is not a cluster");
    assert!(
        not_a_cluster
            .to_string()
            .contains("does not run in cluster mode"),
        "{not_a_cluster}"
    );
    let a_node_alone = test_connection(&format!("redis://{}", two[0]))
        .await
        .expect_err("one node of a cluster is not a server");
    assert!(
        a_node_alone.to_string().contains("node of a Redis Cluster"),
        "{a_node_alone}"
    );
}
