//! "Test connection" against real servers: a good one, a wrong password, nothing listening.

use antrian_core::connections::{test_connection, ConnectionInput};
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
