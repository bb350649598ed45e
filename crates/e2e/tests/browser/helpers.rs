//! The whole voting app in one process, and a headless Chromium driven
//! through chromedriver.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use testkit::{DEFAULT_DEADLINE, Postgres, Redis, eventually};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use voting::config::Env;
use voting::service::ServiceConfig;

/// Debian's `chromium-driver`.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Debian's `chromium`.
const CHROMIUM: &str = "/usr/bin/chromium";

/// vote, worker and result sharing one Redis and one PostgreSQL.
pub struct Stack {
    pub vote: SocketAddr,
    pub result: SocketAddr,
    shutdown: CancellationToken,
    services: Vec<JoinHandle<()>>,
    // Dropped after the services are stopped.
    _redis: Redis,
    _postgres: Postgres,
}

impl Stack {
    /// Starts the three services with `vars` added to their environment,
    /// and waits until vote and result are healthy.
    pub async fn start(vars: &[(&str, &str)]) -> Stack {
        if std::env::var_os("TEST_LOG").is_some() {
            voting::telemetry::init_tracing();
        }
        let (redis, postgres) = tokio::join!(Redis::start(), Postgres::start());
        let (redis_url, database_url) = (redis.url(), postgres.url());
        let mut pairs = vec![
            ("REDIS_URL", redis_url.as_str()),
            ("DATABASE_URL", database_url.as_str()),
        ];
        pairs.extend_from_slice(vars);
        let env = Env::from_pairs(pairs);
        let shutdown = CancellationToken::new();
        let (vote, vote_task) = spawn("vote", &env, &shutdown, vote::run).await;
        let (_, worker_task) = spawn("worker", &env, &shutdown, worker::run).await;
        let (result, result_task) = spawn("result", &env, &shutdown, result::run).await;
        // The worker's health is not awaited: it connects to PostgreSQL at
        // its first batch, and the vote reaching the page proves it works.
        for (name, addr) in [("vote", vote), ("result", result)] {
            wait_healthy(name, addr).await;
        }
        Stack {
            vote,
            result,
            shutdown,
            services: vec![vote_task, worker_task, result_task],
            _redis: redis,
            _postgres: postgres,
        }
    }

    /// Stops the services the way SIGTERM does and checks they all return.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for service in self.services {
            tokio::time::timeout(DEFAULT_DEADLINE, service)
                .await
                .expect("a service stops before the deadline")
                .expect("a service stops cleanly");
        }
    }
}

async fn spawn<C, F, Fut, E>(
    name: &'static str,
    env: &Env,
    shutdown: &CancellationToken,
    run: F,
) -> (SocketAddr, JoinHandle<()>)
where
    C: ServiceConfig,
    F: FnOnce(TcpListener, C, CancellationToken) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: std::fmt::Display,
{
    let config = C::from_env(env).unwrap_or_else(|e| panic!("{name} configuration: {e}"));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = run(listener, config, shutdown.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = service.await {
            panic!("{name} failed: {e}");
        }
    });
    (addr, task)
}

/// Waits for `GET /healthz` to answer 200, asked the way the images'
/// HEALTHCHECK asks.
async fn wait_healthy(name: &str, addr: SocketAddr) {
    eventually(
        &format!("{name} to be healthy"),
        DEFAULT_DEADLINE,
        || async {
            let probe =
                tokio::task::spawn_blocking(move || voting::healthcheck::probe(addr.port()));
            probe.await.ok()?.ok()
        },
    )
    .await;
}

/// A headless Chromium session. chromedriver runs in its own process
/// group, which is killed on drop, so no browser outlives the test.
pub struct Browser {
    client: Client,
    driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session in a fresh
    /// profile. Runs as root in CI, hence `--no-sandbox`.
    pub async fn start() -> Browser {
        let profile = tempfile::Builder::new()
            .prefix("e2e-chromium-")
            .tempdir()
            .unwrap();
        let port = testkit::free_port();
        let driver = tokio::process::Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("starting chromedriver (apt-get install chromium chromium-driver)");
        eventually("chromedriver to listen", DEFAULT_DEADLINE, || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
                .map(drop)
        })
        .await;
        let capabilities = serde_json::json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-first-run",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("opening a Chromium session");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("loading the page");
    }

    /// The handle of the current tab.
    pub async fn tab(&self) -> WindowHandle {
        self.client.window().await.unwrap()
    }

    /// Opens a new tab and switches to it.
    pub async fn new_tab(&self) -> WindowHandle {
        let handle = self.client.new_window(true).await.unwrap().handle;
        self.switch_to(handle.clone()).await;
        handle
    }

    pub async fn switch_to(&self, tab: WindowHandle) {
        self.client.switch_to_window(tab).await.unwrap();
    }

    pub async fn click(&self, id: &str) {
        let element = self.client.find(Locator::Id(id)).await.unwrap();
        element.click().await.unwrap();
    }

    /// The text of the element with this id, if it exists.
    pub async fn text(&self, id: &str) -> Option<String> {
        let element = self.client.find(Locator::Id(id)).await.ok()?;
        element.text().await.ok()
    }

    pub async fn attribute(&self, id: &str, name: &str) -> Option<String> {
        let element = self.client.find(Locator::Id(id)).await.ok()?;
        element.attr(name).await.ok()?
    }

    /// Waits until the element with this id shows `want`.
    pub async fn wait_for_text(&self, id: &str, want: &str) {
        eventually(
            &format!("#{id} to show {want:?}"),
            DEFAULT_DEADLINE,
            || async { (self.text(id).await.as_deref() == Some(want)).then_some(()) },
        )
        .await;
    }

    /// Waits until the element with this id has the attribute at `want`.
    pub async fn wait_for_attribute(&self, id: &str, name: &str, want: &str) {
        let what = format!("#{id} to have {name}={want:?}");
        eventually(&what, DEFAULT_DEADLINE, || async {
            (self.attribute(id, name).await.as_deref() == Some(want)).then_some(())
        })
        .await;
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn script(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Ends the session, which closes Chromium.
    pub async fn close(self) {
        tokio::time::timeout(Duration::from_secs(10), self.client.clone().close())
            .await
            .expect("the session closes in time")
            .expect("closing the session");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            // The whole group: chromedriver and every Chromium process it started.
            let _ = killpg(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}
