//! The benchmark's servers: one Redis and one PostgreSQL for the whole run,
//! shared by the limits and the services so that both meet the same ones.

use std::path::{Path, PathBuf};

use crate::Error;
use crate::bare::{self, SERVE_BARE_FLAG};
use crate::procs::{Service, child_named};

/// Redis, PostgreSQL, a database connection and where the binaries are.
pub struct Stack {
    pub redis: testkit::Redis,
    pub redis_pid: u32,
    pub postgres: testkit::Postgres,
    pub postgres_pid: u32,
    pub db: tokio_postgres::Client,
    bins: PathBuf,
    logs: PathBuf,
    started: u32,
}

impl Stack {
    /// Starts Redis (append-only, fsync every second: Redis' default, which
    /// the fsync phase sets beside the compose file's `appendfsync always`)
    /// and PostgreSQL with its default durability.
    pub async fn start(bins: &Path, logs: &Path) -> Result<Stack, Error> {
        std::fs::create_dir_all(logs).map_err(|source| Error::Io {
            what: format!("creating {}", logs.display()),
            source,
        })?;
        let redis = testkit::Redis::start().await;
        let redis_pid = child_named("redis-server").unwrap_or(0);
        let postgres = testkit::Postgres::start_durable().await;
        let postgres_pid = child_named("postgres").unwrap_or(0);
        let mut db = postgres.client().await;
        voting::schema::ensure(&mut db).await?;
        // The limit: the same table without the tally triggers result adds.
        db.batch_execute("CREATE TABLE IF NOT EXISTS votes_bare (LIKE votes INCLUDING ALL)")
            .await?;
        let mut stack = Stack {
            redis,
            redis_pid,
            postgres,
            postgres_pid,
            db,
            bins: bins.to_owned(),
            logs: logs.to_owned(),
            started: 0,
        };
        // As deployed, result has set up its tally before the worker runs.
        stack.result().await?.stop().await;
        Ok(stack)
    }

    /// A file of this run's, beside the services' logs.
    pub fn file(&self, name: &str) -> PathBuf {
        self.logs.join(name)
    }

    /// A Redis connection for the benchmark's own commands.
    pub async fn redis(&self) -> redis::aio::MultiplexedConnection {
        self.redis.connection().await
    }

    /// Empties the queue, the workers' bookkeeping and the table.
    pub async fn reset(&self) -> Result<(), Error> {
        let mut conn = self.redis().await;
        let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await?;
        self.db.batch_execute("TRUNCATE votes").await?;
        Ok(())
    }

    /// Starts the vote service.
    pub async fn vote(&mut self) -> Result<Service, Error> {
        let env = [("REDIS_URL", self.redis.url())];
        self.service("vote", &env).await
    }

    /// Starts a worker taking `batch` votes at a time, as `id`.
    pub async fn worker(&mut self, batch: usize, id: &str) -> Result<Service, Error> {
        let env = [
            ("REDIS_URL", self.redis.url()),
            ("DATABASE_URL", self.postgres.url()),
            ("BATCH_SIZE", batch.to_string()),
            ("WORKER_ID", id.to_owned()),
        ];
        self.service("worker", &env).await
    }

    /// Starts the result service.
    pub async fn result(&mut self) -> Result<Service, Error> {
        let env = [("DATABASE_URL", self.postgres.url())];
        self.service("result", &env).await
    }

    /// Starts a bare HTTP server of `kind`: this benchmark's own binary,
    /// started again with a hidden flag.
    pub async fn bare(&mut self, kind: bare::Kind) -> Result<Service, Error> {
        let exe = std::env::current_exe().map_err(|source| Error::Io {
            what: "finding the benchmark's own binary".into(),
            source,
        })?;
        self.started += 1;
        let name = crate::phases::bare::process(kind);
        let log = self
            .logs
            .join(format!("bare-{}-{}.log", kind.flag(), self.started));
        let args = [SERVE_BARE_FLAG, kind.flag()];
        Service::start(name, &exe, &args, &[], &log).await
    }

    async fn service(
        &mut self,
        name: &'static str,
        env: &[(&str, String)],
    ) -> Result<Service, Error> {
        self.started += 1;
        let log = self.logs.join(format!("{name}-{}.log", self.started));
        Service::start(name, &self.bins.join(name), &[], env, &log).await
    }
}
