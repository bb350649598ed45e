//! The worker's side of the Redis queue: a reliable queue.
//!
//! A take moves votes atomically from `votes` into this worker's processing
//! list, and they stay there until their batch is committed to PostgreSQL.
//! If the worker dies at any point, its votes are still in Redis: a restarted
//! worker with the same id takes them back first, and once its heartbeat has
//! expired any other worker moves them back to the queue.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{RedisResult, Script};
use voting::queue::{
    DEAD_LETTER_KEY, DeadLetter, QUEUE_KEY, WORKERS_KEY, heartbeat_key, processing_key,
};

/// How long a worker blocks waiting for a vote before it looks around
/// (heartbeat, shutdown). A vote arriving meanwhile wakes it at once.
const BLOCK_TIMEOUT: Duration = Duration::from_secs(1);

/// How long one Redis command may take. A take of a full batch is a few
/// milliseconds; the blocking wait gets its own, longer allowance.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Without a heartbeat for this long, a worker counts as gone and its votes
/// are handed to the others. Refreshed every [`HEARTBEAT_INTERVAL`].
pub const HEARTBEAT_TTL: Duration = Duration::from_secs(5);

/// How often a worker renews its heartbeat and looks for gone workers.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(1);

/// Returns the votes this worker already holds (after a restart), or else
/// moves up to ARGV[1] votes from the queue to the processing list.
const TAKE: &str = r"
local held = redis.call('LRANGE', KEYS[2], 0, ARGV[1] - 1)
if #held > 0 then return held end
local items = redis.call('LRANGE', KEYS[1], 0, ARGV[1] - 1)
if #items == 0 then return items end
redis.call('LTRIM', KEYS[1], #items, -1)
redis.call('RPUSH', KEYS[2], unpack(items))
return items
";

/// Claims or renews this worker's heartbeat; fails if another live process
/// holds the same worker id.
const HEARTBEAT: &str = r"
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 1
";

/// Moves a worker's held votes back to the head of the queue, in order, and
/// forgets the worker. With ARGV[2] = 'check' it does nothing (returns -1)
/// while that worker's heartbeat lives.
const RETURN_HELD: &str = r"
if ARGV[2] == 'check' and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for i = #items, 1, -1 do redis.call('LPUSH', KEYS[1], items[i]) end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
return #items
";

/// Another live process uses this worker's id.
#[derive(Debug, thiserror::Error)]
#[error("worker id {0:?} is in use by another live worker; give each worker its own WORKER_ID")]
pub struct IdInUse(pub String);

/// One worker's handle on the queue.
#[derive(Clone)]
pub struct ReliableQueue {
    connection: ConnectionManager,
    blocking: ConnectionManager,
    worker_id: String,
    token: String,
    processing: String,
    heartbeat: String,
    take: Script,
    beat: Script,
    return_held: Script,
}

impl ReliableQueue {
    /// A handle for `worker_id`; nothing is sent to Redis yet.
    pub fn new(client: &redis::Client, worker_id: &str) -> ReliableQueue {
        ReliableQueue {
            connection: voting::connect::redis(client, RESPONSE_TIMEOUT),
            blocking: voting::connect::redis(client, RESPONSE_TIMEOUT + BLOCK_TIMEOUT),
            worker_id: worker_id.to_owned(),
            token: format!("{:016x}", rand::random::<u64>()),
            processing: processing_key(worker_id),
            heartbeat: heartbeat_key(worker_id),
            take: Script::new(TAKE),
            beat: Script::new(HEARTBEAT),
            return_held: Script::new(RETURN_HELD),
        }
    }

    /// This worker's id.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Claims or renews the heartbeat. `Ok(Err(IdInUse))` when another live
    /// process holds this id.
    pub async fn heartbeat(&self) -> RedisResult<Result<(), IdInUse>> {
        let claimed: i64 = self
            .beat
            .key(&self.heartbeat)
            .key(WORKERS_KEY)
            .arg(&self.token)
            .arg(HEARTBEAT_TTL.as_millis() as u64)
            .arg(&self.worker_id)
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(if claimed == 1 {
            Ok(())
        } else {
            Err(IdInUse(self.worker_id.clone()))
        })
    }

    /// Up to `max` votes to process: those still held from before, else new
    /// ones from the queue. Waits up to [`BLOCK_TIMEOUT`] for a vote when the
    /// queue is empty, and returns an empty take if none came.
    pub async fn take(&self, max: usize) -> RedisResult<Vec<Vec<u8>>> {
        let taken = self.take_now(max).await?;
        if !taken.is_empty() {
            return Ok(taken);
        }
        let moved: Option<Vec<u8>> = redis::cmd("BLMOVE")
            .arg(QUEUE_KEY)
            .arg(&self.processing)
            .arg("LEFT")
            .arg("RIGHT")
            .arg(BLOCK_TIMEOUT.as_secs_f64())
            .query_async(&mut self.blocking.clone())
            .await?;
        match moved {
            // The vote is held now; take it with whatever came right after.
            Some(_) => self.take_now(max).await,
            None => Ok(Vec::new()),
        }
    }

    async fn take_now(&self, max: usize) -> RedisResult<Vec<Vec<u8>>> {
        self.take
            .key(QUEUE_KEY)
            .key(&self.processing)
            .arg(max)
            .invoke_async(&mut self.connection.clone())
            .await
    }

    /// Drops the first `taken` held votes, now committed, and files the
    /// unusable ones in the dead-letter list, in one transaction.
    pub async fn acknowledge(&self, taken: usize, dead: &[DeadLetter]) -> RedisResult<()> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        if !dead.is_empty() {
            let letters: Vec<String> = dead
                .iter()
                .map(|d| serde_json::to_string(d).expect("a dead letter serializes"))
                .collect();
            pipe.rpush(DEAD_LETTER_KEY, letters).ignore();
        }
        pipe.ltrim(&self.processing, taken as isize, -1).ignore();
        pipe.query_async(&mut self.connection.clone()).await
    }

    /// Hands the votes of workers whose heartbeat expired back to the queue.
    /// Returns how many votes were recovered.
    pub async fn recover_gone_workers(&self) -> RedisResult<usize> {
        let workers: Vec<String> = redis::cmd("SMEMBERS")
            .arg(WORKERS_KEY)
            .query_async(&mut self.connection.clone())
            .await?;
        let mut recovered = 0;
        for worker in workers.iter().filter(|w| **w != self.worker_id) {
            let moved = self.return_held_of(worker, "check").await?;
            if moved > 0 {
                tracing::warn!(gone = %worker, votes = moved, "recovered the votes of a gone worker");
                recovered += moved as usize;
            }
        }
        Ok(recovered)
    }

    /// On a clean stop: gives back what this worker still holds and drops
    /// its heartbeat, so nothing waits for it to expire.
    pub async fn release(&self) -> RedisResult<usize> {
        let returned = self.return_held_of(&self.worker_id, "force").await?;
        let _: () = redis::cmd("DEL")
            .arg(&self.heartbeat)
            .query_async(&mut self.connection.clone())
            .await?;
        Ok(returned.max(0) as usize)
    }

    async fn return_held_of(&self, worker: &str, mode: &str) -> RedisResult<i64> {
        self.return_held
            .key(QUEUE_KEY)
            .key(processing_key(worker))
            .key(heartbeat_key(worker))
            .key(WORKERS_KEY)
            .arg(worker)
            .arg(mode)
            .invoke_async(&mut self.connection.clone())
            .await
    }

    /// Votes waiting in the queue and in the dead-letter list, for metrics.
    pub async fn depths(&self) -> RedisResult<(u64, u64)> {
        redis::pipe()
            .llen(QUEUE_KEY)
            .llen(DEAD_LETTER_KEY)
            .query_async(&mut self.connection.clone())
            .await
    }

    /// Whether Redis answers, for `/healthz`.
    pub async fn ping(&self) -> RedisResult<()> {
        redis::cmd("PING")
            .query_async::<String>(&mut self.connection.clone())
            .await
            .map(drop)
    }
}
