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
