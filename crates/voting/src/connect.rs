//! Connections to Redis and PostgreSQL, made the same way by every service.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// How long opening a Redis connection may take before the attempt fails.
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// A Redis connection that reconnects by itself after a failure, giving up a
/// command after `response_timeout`. It is lazy, so a service starts (and
/// reports itself unhealthy) while Redis is still coming up.
pub fn redis(client: &redis::Client, response_timeout: Duration) -> ConnectionManager {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(REDIS_CONNECT_TIMEOUT))
        .set_response_timeout(Some(response_timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_millis(200));
    ConnectionManager::new_lazy_with_config(client.clone(), config)
        .expect("a connection manager without a push sender is always valid")
}

/// Opens a PostgreSQL connection and drives it in the background. The
/// returned client reports `is_closed()` once the connection is lost.
pub async fn postgres(
    config: &tokio_postgres::Config,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

/// Exponential backoff for reconnecting: 50 ms doubling up to a cap, so a
/// restarted dependency is found again within a second or two.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    /// First delay of a fresh backoff.
    const INITIAL: Duration = Duration::from_millis(50);

    /// A backoff that never waits longer than `max`.
    pub fn new(max: Duration) -> Backoff {
        Backoff {
            next: Self::INITIAL,
            max,
        }
    }

    /// The delay to wait now; each call doubles the next one.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        delay
    }

    /// Starts over after a success.
    pub fn reset(&mut self) {
        self.next = Self::INITIAL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(300));
        let delays: Vec<_> = (0..5).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [50, 100, 200, 300, 300]);
        backoff.reset();
        assert_eq!(backoff.next_delay().as_millis(), 50);
    }
}
