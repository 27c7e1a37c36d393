//! Debian's headless Chromium driven through `/usr/bin/chromedriver` (fantoccini), for the tests
//! of the pages campaignd serves. Nothing is downloaded: when the browser or its driver is missing
//! or does not start, the test fails (it never skips); `.ci/run` installs both.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a condition may take to become true on the page before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);
/// axe-core 4 (tests/vendor/axe-core, with its licence), injected into the page under test by
/// WebDriver: it is never served by campaignd.
const AXE: &str = include_str!("../../vendor/axe-core/axe.min.js");

/// chromedriver (in its own process group) and a WebDriver session with Chromium.
pub struct Browser {
    pub client: Client,
    driver: Child,
    driver_log: PathBuf,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver and the Chromium it started share the process group we gave it: end
        // that group (only ours, by its id), even when the test panicked before `close`.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver and opens a session; panics (never skips) when that fails.
    pub async fn start() -> Browser {
        for path in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's `chromium` and \
                 `chromium-driver` (apt-get install chromium chromium-driver; .ci/run installs \
                 them) — failing rather than skipping."
            );
        }
        let profile = tempfile::tempdir().unwrap();
        let driver_log = profile.path().join("chromedriver.log");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = {
            use std::os::unix::process::CommandExt;
            Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", driver_log.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"))
        };
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            "--hide-scrollbars",
        ]
        .map(String::from)
        .into_iter()
        .chain([format!(
            "--user-data-dir={}",
            profile.path().join("chromium").display()
        )])
        .collect::<Vec<_>>();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": CHROMIUM, "args": args }),
        );

        let webdriver = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let attempt =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&webdriver)
                    .await;
            match attempt {
                Ok(client) => break client,
                // chromedriver may not listen yet.
                Err(_) if started.elapsed() < Duration::from_secs(30) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!(
                    "could not start headless Chromium through {CHROMEDRIVER} within 30 s: {e}\n\
                     chromedriver log ({}):\n{}",
                    driver_log.display(),
                    tail(&driver_log)
                ),
            }
        };
        Browser {
            client,
            driver,
            driver_log,
            _profile: profile,
        }
    }

    /// Resizes the window so that the page's viewport is `width` × `height` CSS pixels.
    pub async fn set_viewport(&self, width: u32, height: u32) {
        self.client.set_window_size(width, height).await.unwrap();
        let inner = self
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        let (w, h) = (inner[0].as_u64().unwrap(), inner[1].as_u64().unwrap());
        let outer_w = 2 * u64::from(width) - w;
        let outer_h = 2 * u64::from(height) - h;
        self.client
            .set_window_size(outer_w as u32, outer_h as u32)
            .await
            .unwrap();
        let inner = self
            .js("return [window.innerWidth, window.innerHeight];")
            .await;
        assert_eq!(inner, json!([width, height]), "viewport size");
    }

    pub async fn close(self) {
        let client = self.client.clone();
        client.close().await.expect("end the WebDriver session");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e,
            Err(e) => panic!("{css}: {e}"),
        }
    }

    pub async fn fill(&self, css: &str, text: &str) {
        self.on_fresh(css, "fill", |input| async move {
            input.clear().await?;
            input.send_keys(text).await
        })
        .await;
    }

    pub async fn click(&self, css: &str) {
        self.on_fresh(css, "click", |e| async move { e.click().await })
            .await;
    }

    /// Does `action` on the element `css` once it is shown. A page that refreshes itself replaces
    /// its elements: one found just before that is stale, so it is found again.
    async fn on_fresh<F, Fut>(&self, css: &str, what: &str, action: F)
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        self.wait_displayed(css).await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match action(self.find(css).await).await {
                Ok(()) => return,
                Err(e) if e.is_stale_element_reference() && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("{what} {css}: {e}"),
            }
        }
    }

    /// Runs JavaScript (the body of a function) and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect(script)
    }

    pub async fn displayed(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// The element's visible text (re-found on every call: the page re-renders freely).
    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn wait_displayed(&self, css: &str) {
        self.wait_until(&format!("{css} to be shown"), || self.displayed(css))
            .await;
    }

    /// Waits until the text of `css` satisfies `ok`, and returns it.
    pub async fn wait_hidden(&self, css: &str) {
        self.wait_until(&format!("{css} to be hidden"), || async move {
            !self.displayed(css).await
        })
        .await;
    }

    pub async fn wait_text(&self, css: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let text = self.text(css).await;
            if ok(&text) {
                return text;
            }
            if started.elapsed() > WAIT {
                self.failure_screenshot().await;
                panic!("waited {WAIT:?} for {css} to {what}; its text is {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_until<F, Fut>(&self, what: &str, condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        self.wait_until_within(WAIT, what, condition).await;
    }

    /// `wait_until` with a deadline of its own, for what takes a run of the dialer.
    pub async fn wait_until_within<F, Fut>(&self, deadline: Duration, what: &str, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = bool>,
    {
        let started = Instant::now();
        while !condition().await {
            if started.elapsed() > deadline {
                self.failure_screenshot().await;
                panic!("waited {deadline:?} for {what}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn failure_screenshot(&self) {
        if let Ok(png) = self.client.screenshot().await {
            let path = screenshot_dir(false).join("failure.png");
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot of the failing page: {}", path.display());
        }
        eprintln!(
            "chromedriver log {}:\n{}",
            self.driver_log.display(),
            tail(&self.driver_log)
        );
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        self.save_screenshot(name, false).await;
    }

    /// The same for a screenshot the README shows: written to `docs/screenshots/` instead with
    /// `UPDATE_SCREENSHOTS=1`.
    pub async fn published_screenshot(&self, name: &str) {
        self.save_screenshot(name, true).await;
    }

    async fn save_screenshot(&self, name: &str, published: bool) {
        // Let transitions and pending paints settle.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(screenshot_dir(published).join(format!("{name}.png")), &png).unwrap();
    }

    /// `localStorage` and `document.cookie` hold nothing (a credential is never kept there).
    pub async fn assert_no_persistent_storage(&self) {
        let stored = self
            .js("return [localStorage.length, document.cookie];")
            .await;
        assert_eq!(stored, json!([0, ""]), "localStorage length and cookies");
    }

    /// Every URL the page loaded (the page, scripts, styles, images, fetch/XHR calls).
    pub async fn loaded_urls(&self) -> Vec<String> {
        let names = self
            .js("return performance.getEntriesByType('navigation')\
                 .concat(performance.getEntriesByType('resource'))\
                 .map(function (e) { return e.name; });")
            .await;
        names
            .as_array()
            .expect("a list of URLs")
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    }

    /// The Content-Security-Policy violations the page met since it loaded (Chromium keeps them
    /// for a `ReportingObserver` created later with `buffered: true`).
    pub async fn csp_violations(&self) -> Vec<Value> {
        let reports = self
            .js("var o = new ReportingObserver(function () {}, \
                     {types: ['csp-violation'], buffered: true});\
                 o.observe();\
                 var r = o.takeRecords().map(function (r) { return r.body.toJSON(); });\
                 o.disconnect();\
                 return r;")
            .await;
        reports.as_array().cloned().unwrap_or_default()
    }
}

impl Browser {
    /// The accessibility violations axe-core finds on the page as it is now (WCAG 2.x A and AA
    /// rules and axe's best practices), each as `{id, impact, help, nodes}`.
    pub async fn axe_violations(&self) -> Vec<Value> {
        if self.js("return typeof window.axe === 'object';").await != json!(true) {
            // Injected through WebDriver: the page's CSP governs the page, not the driver.
            self.client
                .execute(AXE, vec![])
                .await
                .expect("inject axe-core");
        }
        let found = self
            .client
            .execute_async(
                "var done = arguments[arguments.length - 1];\
                 axe.run(document, {resultTypes: ['violations']}).then(function (r) {\
                   done(r.violations.map(function (v) {\
                     return {id: v.id, impact: v.impact, help: v.help,\
                             nodes: v.nodes.map(function (n) {\
                               return n.target.join(' ') + ': ' + n.failureSummary; })};\
                   }));\
                 }, function (e) { done([{id: 'axe-error', help: String(e)}]); });",
                vec![],
            )
            .await
            .expect("run axe-core");
        found.as_array().cloned().unwrap_or_default()
    }

    /// axe-core finds no violation on the page (`view` names it in the failure).
    pub async fn assert_accessible(&self, view: &str) {
        let violations = self.axe_violations().await;
        if !violations.is_empty() {
            self.failure_screenshot().await;
            panic!(
                "axe-core found {} violation(s) on {view}:\n{}",
                violations.len(),
                serde_json::to_string_pretty(&violations).unwrap()
            );
        }
    }
}

fn tail(path: &Path) -> String {
    let log = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// `docs/screenshots/` for a published one with UPDATE_SCREENSHOTS=1, else `target/screenshots/`.
fn screenshot_dir(published: bool) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = if published && std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        root.join("docs/screenshots")
    } else {
        root.join("target/screenshots")
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
