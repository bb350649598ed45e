//! The test servers start, restart and keep their data.

use redis::AsyncCommands;

#[tokio::test]
async fn redis_keeps_its_data_across_a_restart() {
    let mut redis = testkit::Redis::start().await;
    let mut conn = redis.connection().await;
    let _: () = conn.rpush("votes", "one").await.unwrap();
    redis.restart().await;
    let mut conn = redis.connection().await;
    let len: usize = conn.llen("votes").await.unwrap();
    assert_eq!(len, 1);
}

#[tokio::test]
async fn postgres_keeps_its_data_across_a_restart() {
    let mut postgres = testkit::Postgres::start().await;
    let client = postgres.client().await;
    client
        .batch_execute("CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    postgres.restart().await;
    let client = postgres.client().await;
    let row = client
        .query_one("SELECT count(*) FROM t", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
}

#[tokio::test]
async fn the_registry_answers_and_asks_for_credentials_when_told() {
    let open = testkit::Registry::start().await;
    let status = |host: String| async move {
        let mut stream = tokio::net::TcpStream::connect(&host).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response.split_whitespace().nth(1).unwrap().to_owned()
    };
    assert_eq!(status(open.host()).await, "200");
    let locked = testkit::Registry::start_with_auth("ci", "s3cret").await;
    assert_eq!(status(locked.host()).await, "401");
    assert_eq!(locked.credentials().unwrap().username, "ci");
}
