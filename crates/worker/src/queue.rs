//! The worker's side of the Redis queue: a reliable queue.
//!
//! A take moves votes atomically from `votes` into this worker's processing
//! list, and they stay there until their batch is committed to PostgreSQL.
//! If the worker dies at any point, its votes are still in Redis: a restarted
//! worker with the same id takes them back first, and once its heartbeat has
//! expired any other worker moves them back to the queue.
//!
//! The take also stamps each vote with `queue_seq`, from one counter in Redis,
//! in queue order, which is the order Redis accepted the pushes: that is what
//! "last vote wins" compares, never a clock. The stamp is written into the
//! held message, so a vote handed back after a crash keeps its place.
//! Everything that changes a processing list checks first that this process
//! still holds the worker id's heartbeat token (fencing).

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{RedisResult, Script};
use voting::queue::{
    DEAD_LETTER_KEY, DEAD_PREFIX_BYTES, DeadLetter, MAX_MESSAGE_BYTES, QUEUE_KEY, SEQUENCE_KEY,
    WORKERS_KEY, heartbeat_key, processing_key,
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

/// The most message bytes one take reads. A full batch of real votes (5000
/// of about 100 bytes) fits, so real traffic never notices; messages swollen
/// by extra fields come in smaller takes, and the worker's memory stays near
/// a megabyte per take whatever other producers push.
pub const MAX_TAKE_BYTES: usize = 1024 * 1024;

/// See the script's own header.
const TAKE: &str = include_str!("take.lua");

/// Acknowledges a batch: files its dead letters and drops it from the
/// processing list, only while the heartbeat token is this process'.
const ACKNOWLEDGE: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if #ARGV > 2 then redis.call('RPUSH', KEYS[3], unpack(ARGV, 3)) end
redis.call('LTRIM', KEYS[1], ARGV[2], -1)
return 1
";

/// Raises the sequence counter to at least ARGV[1].
const RAISE_COUNTER: &str = r"
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
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
/// forgets the worker. ARGV[2] empty: another worker's, only once its
/// heartbeat has expired (else -1); else this process' token: its own, only
/// while the heartbeat holds that token (else -1), dropping the heartbeat too.
const RETURN_HELD: &str = r"
local beat = redis.call('GET', KEYS[3])
if (ARGV[2] == '' and beat) or (ARGV[2] ~= '' and beat ~= ARGV[2]) then return -1 end
local held = redis.call('LLEN', KEYS[2])
for _ = 1, held do redis.call('LMOVE', KEYS[2], KEYS[1], 'RIGHT', 'LEFT') end
if ARGV[2] ~= '' then redis.call('DEL', KEYS[3]) end
redis.call('SREM', KEYS[4], ARGV[1])
return held
";

/// Another live process uses this worker's id.
#[derive(Debug, thiserror::Error)]
#[error("worker id {0:?} is in use by another live worker; give each worker its own WORKER_ID")]
pub struct IdInUse(pub String);

/// What a take brought.
#[derive(Debug)]
pub enum Take {
    /// Stamped votes to commit (maybe none), and how many over-long messages
    /// the take filed as dead letters on the way.
    Votes {
        /// The messages, each with its `queue_seq`.
        messages: Vec<Vec<u8>>,
        /// Over-long messages moved to the dead-letter list.
        dead: usize,
    },
    /// The heartbeat is another process' now: this one must stop.
    NotOurs,
    /// The sequence counter is missing (a new or emptied Redis): it must be
    /// set above the table's highest `seq` before votes are stamped.
    NoCounter,
}

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
    ack: Script,
    raise: Script,
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
            ack: Script::new(ACKNOWLEDGE),
            raise: Script::new(RAISE_COUNTER),
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

    /// Up to `max` votes to process: those still held from before first,
    /// then new ones from the queue. Waits up to [`BLOCK_TIMEOUT`] for a vote
    /// when the queue is empty, and returns an empty take if none came.
    pub async fn take(&self, max: usize) -> RedisResult<Take> {
        let taken = self.take_now(max).await?;
        if !matches!(&taken, Take::Votes { messages, dead: 0 } if messages.is_empty()) {
            return Ok(taken);
        }
        // Waits for a vote without moving it: a vote moved outside the take
        // would be stamped later than votes queued behind it.
        let woke: Option<Vec<u8>> = redis::cmd("BLMOVE")
            .arg(QUEUE_KEY)
            .arg(QUEUE_KEY)
            .arg("LEFT")
            .arg("LEFT")
            .arg(BLOCK_TIMEOUT.as_secs_f64())
            .query_async(&mut self.blocking.clone())
            .await?;
        match woke {
            Some(_) => self.take_now(max).await,
            None => Ok(taken),
        }
    }

    /// Up to `max` new votes from the queue, without waiting, behind the
    /// ones this worker holds now, which stay held: the take that runs
    /// while the batch before it commits. The held votes then leave the
    /// processing list first, when that batch is acknowledged.
    pub async fn take_more(&self, max: usize) -> RedisResult<Take> {
        self.take_script(max, true).await
    }

    async fn take_now(&self, max: usize) -> RedisResult<Take> {
        self.take_script(max, false).await
    }

    async fn take_script(&self, max: usize, keep_held: bool) -> RedisResult<Take> {
        let (status, dead, messages): (i64, usize, Vec<Vec<u8>>) = self
            .take
            .key(QUEUE_KEY)
            .key(&self.processing)
            .key(&self.heartbeat)
            .key(SEQUENCE_KEY)
            .key(DEAD_LETTER_KEY)
            .arg(&self.token)
            .arg(max)
            .arg(MAX_TAKE_BYTES)
            .arg(MAX_MESSAGE_BYTES)
            .arg(DEAD_PREFIX_BYTES)
            .arg(&self.worker_id)
            .arg(if keep_held { "1" } else { "0" })
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(match status {
            1 => Take::NotOurs,
            2 => Take::NoCounter,
            _ => Take::Votes { messages, dead },
        })
    }

    /// Makes sure the sequence counter is at least `highest`, the table's
    /// highest `seq`, so that new votes are stamped above every stored one.
    pub async fn raise_counter(&self, highest: i64) -> RedisResult<()> {
        let _: i64 = self
            .raise
            .key(SEQUENCE_KEY)
            .arg(highest)
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(())
    }

    /// Drops the first `taken` held votes, now committed, and files the
    /// unusable ones in the dead-letter list, in one script, and only while
    /// this process holds the heartbeat. `Ok(false)`: another process holds
    /// it, and the list, which may be that process' batch, was left alone.
    pub async fn acknowledge(&self, taken: usize, dead: &[DeadLetter]) -> RedisResult<bool> {
        let mut invocation = self.ack.prepare_invoke();
        invocation
            .key(&self.processing)
            .key(&self.heartbeat)
            .key(DEAD_LETTER_KEY)
            .arg(&self.token)
            .arg(taken);
        for letter in dead {
            invocation.arg(serde_json::to_string(letter).expect("a dead letter serializes"));
        }
        let acknowledged: i64 = invocation
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(acknowledged == 1)
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
            let moved = self.return_held_of(worker, "").await?;
            if moved > 0 {
                tracing::warn!(gone = %worker, votes = moved, "recovered the votes of a gone worker");
                recovered += moved;
            }
        }
        Ok(recovered)
    }

    /// On a clean stop: gives back what this worker still holds and drops
    /// its heartbeat, so nothing waits for it to expire; nothing if another
    /// process holds the heartbeat now.
    pub async fn release(&self) -> RedisResult<usize> {
        self.return_held_of(&self.worker_id, &self.token).await
    }

    async fn return_held_of(&self, worker: &str, token: &str) -> RedisResult<usize> {
        let returned: i64 = self
            .return_held
            .key(QUEUE_KEY)
            .key(processing_key(worker))
            .key(heartbeat_key(worker))
            .key(WORKERS_KEY)
            .arg(worker)
            .arg(token)
            .invoke_async(&mut self.connection.clone())
            .await?;
        Ok(returned.max(0) as usize)
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
