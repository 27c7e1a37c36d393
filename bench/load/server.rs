//! The server process: started, waited for, killed and restarted.

use crate::*;

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) pid: u32,
}

pub(crate) struct Env {
    pub(crate) bin: PathBuf,
    pub(crate) db: PathBuf,
    /// `--database-url`: the server runs on this PostgreSQL database instead of `db`.
    pub(crate) database_url: Option<String>,
    pub(crate) log: PathBuf,
    pub(crate) port: u16,
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
}

impl Env {
    /// Starts the binary and waits for `/healthz` to answer 200; returns the time that took.
    pub(crate) async fn start(&self) -> Result<(Server, Duration)> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let started = Instant::now();
        let mut command = Command::new(&self.bin);
        match &self.database_url {
            Some(url) => command.env("CAMPAIGND_DATABASE_URL", url),
            None => command.arg("--db").arg(&self.db),
        };
        let mut child = command
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--bootstrap-key")
            .arg(KEY)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", self.bin.display()))?;
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/healthz", self.base);
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(response) = probe.get(&url).send().await
                && response.status() == 200
            {
                let pid = child.id();
                return Ok((Server { child, pid }, started.elapsed()));
            }
            if let Some(status) = child.try_wait()? {
                return Err(format!(
                    "the server exited with {status}; see {}",
                    self.log.display()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = child.kill();
        Err("the server did not answer /healthz within 60 s".into())
    }

    pub(crate) async fn get(&self, path: &str) -> Result<(u16, Value)> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<(u16, Value)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// The campaign with this external_id, created when missing; returns its id.
    pub(crate) async fn campaign(
        &self,
        external_id: &str,
        configuration_id: &str,
    ) -> Result<String> {
        let (status, body) = self
            .get(&format!("/campaign/campaigns/{external_id}"))
            .await?;
        if status == 200 {
            return Ok(body["id"].as_str().ok_or("campaign without id")?.into());
        }
        let (status, body) = self
            .post(
                "/campaign/campaigns",
                &json!({"name": external_id, "external_id": external_id, "configuration_id": configuration_id}),
            )
            .await?;
        if status != 201 {
            return Err(format!("creating campaign {external_id}: {status} {body}").into());
        }
        Ok(body["id"].as_str().ok_or("campaign without id")?.into())
    }

    pub(crate) async fn contact_total(&self, campaign: &str) -> Result<usize> {
        let (status, body) = self
            .get(&format!("/campaign/campaigns/{campaign}/stats"))
            .await?;
        if status != 200 {
            return Err(format!("stats: {status} {body}").into());
        }
        Ok(body["contacts"]["total"].as_u64().unwrap_or(0) as usize)
    }
}

impl Server {
    /// SIGTERM, then wait (bounded) for the exit; SIGKILL if it does not come.
    pub(crate) fn stop(mut self) -> Result<()> {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("the server did not stop within 30 s of SIGTERM; killing it");
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGKILL (`kill -9`) and reap.
    pub(crate) fn kill9(mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
