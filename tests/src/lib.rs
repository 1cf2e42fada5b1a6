//! Shared helpers of the integration tests in `tests/`.

use serde::Deserialize;

/// One labelled line of a corpus fixture (tests/fixtures/corpus).
#[derive(Debug, Deserialize)]
pub struct Row {
    /// The value or text.
    pub value: String,
    /// `attack` or `benign`.
    pub label: String,
    /// Which construct made the line an attack, or what kind of look-alike it is.
    pub note: String,
}

/// Loads a corpus fixture, skipping its `#` header lines.
///
/// # Panics
/// When the fixture is missing or a line is not a row: a broken fixture fails the test.
pub fn load_fixture(name: &str) -> Vec<Row> {
    let path = format!("{}/fixtures/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

/// The shared Redis server `scripts/test.sh` starts for the tests, from
/// `GUARD_TEST_REDIS_URL`.
///
/// # Panics
/// When the variable is unset: the Redis tests need a real server.
pub fn shared_redis_url() -> String {
    std::env::var("GUARD_TEST_REDIS_URL").unwrap_or_else(|_| {
        panic!("GUARD_TEST_REDIS_URL is not set: run the tests with scripts/test.sh, which starts redis-server")
    })
}

/// A redis-server of a test's own on a free 127.0.0.1 port (for tests that
/// stop and restart it), killed on drop. The binary is
/// `GUARD_TEST_REDIS_SERVER` or `redis-server` on the PATH.
pub struct RedisServer {
    child: Option<std::process::Child>,
    port: u16,
}

impl RedisServer {
    /// Starts a server without persistence on a free port and waits until it answers.
    ///
    /// # Panics
    /// When no redis-server can be started.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = RedisServer { child: None, port };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (its data is gone).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and waits until it answers.
    ///
    /// # Panics
    /// When it does not come up within ten seconds.
    pub fn restart(&mut self) {
        self.stop();
        let binary =
            std::env::var("GUARD_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = std::process::Command::new(&binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} does not start ({e}); run scripts/test.sh"));
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not come up"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `redis-cli -u URL ARGS...` and returns its output lines.
///
/// # Panics
/// When redis-cli fails.
pub fn redis_cli(url: &str, args: &[&str]) -> Vec<String> {
    let output = std::process::Command::new("redis-cli")
        .args(["-u", url])
        .args(args)
        .output()
        .expect("redis-cli runs");
    assert!(output.status.success(), "redis-cli {args:?} failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A state backend of one's own that implements only what the trait
/// requires (over the in-memory one), so the trait's defaults answer the
/// rest: no content fingerprints, no session counts.
#[derive(Debug, Default)]
pub struct RequiredOnly(pub guard_runtime::state::MemoryBackend);

impl guard_runtime::state::StateBackend for RequiredOnly {
    fn admit<'a>(
        &'a self,
        admission: &'a guard_runtime::state::Admission<'a>,
    ) -> guard_runtime::state::StateFuture<'a, guard_runtime::state::Admitted> {
        self.0.admit(admission)
    }

    fn settle<'a>(
        &'a self,
        settlement: &'a guard_runtime::state::Settlement<'a>,
    ) -> guard_runtime::state::StateFuture<'a, ()> {
        self.0.settle(settlement)
    }

    fn remember<'a>(
        &'a self,
        session: &'a str,
        tool: &'a str,
        standing: &'a guard_runtime::state::Standing,
    ) -> guard_runtime::state::StateFuture<'a, ()> {
        self.0.remember(session, tool, standing)
    }
}

/// xorshift64*: a deterministic, dependency-free generator for generated
/// test inputs and traces.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
