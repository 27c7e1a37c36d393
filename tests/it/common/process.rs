//! The real binary as a server: `campaignd serve <args> --listen 127.0.0.1:<free port>`, waited
//! for until `/healthz` answers, its stderr kept (and read line by line for the printed key),
//! stopped with SIGTERM (`stop`) or SIGKILL (`kill`). Dropped while running, it is killed: a test
//! that needs the clean stop says so with `stop()`.

use super::campaignd;
use reqwest::{Client, Method, RequestBuilder};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// How a server is started besides its arguments.
#[derive(Default, Clone)]
pub struct Options {
    /// Its working directory (default: the test's).
    pub cwd: Option<PathBuf>,
    /// Variables set in its environment (none of the developer's `CAMPAIGND_*` is inherited).
    pub env: Vec<(String, String)>,
    /// The open-file limit `(soft, hard)` set before it runs.
    pub open_files: Option<(u64, u64)>,
}

impl Options {
    pub fn in_dir(dir: &Path) -> Options {
        Options {
            cwd: Some(dir.to_path_buf()),
            ..Options::default()
        }
    }
}

/// A running `campaignd serve`.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub http: Client,
    stderr: Arc<Mutex<String>>,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `campaignd serve <args>` and waits until /healthz answers 200.
    pub async fn start(args: &[&str]) -> Server {
        Server::start_with(args, Options::default()).await
    }

    /// `start`, with `options`.
    pub async fn start_with(args: &[&str], options: Options) -> Server {
        let server = Server::spawn(args, options);
        server.wait_healthy().await;
        server
    }

    /// Starts `campaignd serve <args>` without waiting for it.
    pub fn spawn(args: &[&str], options: Options) -> Server {
        let listen = format!("127.0.0.1:{}", free_port());
        let mut command = campaignd();
        if let Some((soft, hard)) = options.open_files {
            use std::os::unix::process::CommandExt;
            // SAFETY: setrlimit is async-signal-safe, and nothing else runs in the child.
            unsafe {
                command.pre_exec(move || rlimit::setrlimit(rlimit::Resource::NOFILE, soft, hard));
            }
        }
        if let Some(cwd) = &options.cwd {
            command.current_dir(cwd);
        }
        command.envs(options.env.iter().map(|(k, v)| (k, v)));
        let mut child = command
            .arg("serve")
            .args(args)
            .args(["--listen", &listen])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (send, lines) = mpsc::channel();
        let all = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                all.lock().unwrap().push_str(&format!("{line}\n"));
                let _ = send.send(line);
            }
        });
        Server {
            child,
            base: format!("http://{listen}"),
            http: Client::new(),
            stderr,
            lines,
        }
    }

    /// Waits (up to 30 s) until /healthz answers 200.
    pub async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.http.get(self.url("/healthz")).send().await
                && response.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no /healthz after 30 s; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first `ak_…` printed on stderr (the bootstrap key).
    pub fn printed_key(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(key) = line.split_whitespace().find(|w| w.starts_with("ak_")) {
                        // The "Try it" line quotes the key too; the first one found is it.
                        return key.trim_matches('\'').to_string();
                    }
                }
                Err(_) => panic!("no key printed; stderr:\n{}", self.stderr()),
            }
        }
    }

    /// Everything written on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (up to 30 s) until stderr contains `text`.
    pub async fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.stderr().contains(text) {
            assert!(
                Instant::now() < deadline,
                "'{text}' not logged; stderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A request to `path`, to finish and send.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// Sends `body` as JSON with `credential` (when given); the status and the JSON answer
    /// (`Value::Null` when the body is not JSON).
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        credential: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.request(method, path);
        if let Some(credential) = credential {
            request = request.bearer_auth(credential);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Sends the signal `name` (`TERM`, `INT`, …) to the process.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} {}", self.pid());
    }

    /// Waits for the process to end (a generous deadline, not a timing assertion).
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the stderr thread read the last lines.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not stop; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The clean stop: SIGTERM, then waits for the process to end; its exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.wait()
    }

    /// `kill -9`: the process ends at once, with nothing cleaned up.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
