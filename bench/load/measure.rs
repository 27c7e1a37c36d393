//! Small helpers: a seeded generator, percentiles, /proc readings.

use crate::*;

/// SplitMix64: deterministic, fast, good enough for picking positions.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Latencies in microseconds.
#[derive(Default)]
pub(crate) struct Latencies(pub(crate) Vec<u32>);

impl Latencies {
    pub(crate) fn push(&mut self, d: Duration) {
        self.0.push(d.as_micros().min(u32::MAX as u128) as u32);
    }

    /// The `p`-th percentile in milliseconds (nearest rank).
    pub(crate) fn ms(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        self.0.sort_unstable();
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1] as f64 / 1000.0
    }

    pub(crate) fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }
}

pub(crate) fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User + system CPU seconds of a process (`self` for this one).
pub(crate) fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return f64::NAN;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => (user + system) / clock_ticks(),
        _ => f64::NAN,
    }
}

/// A `Vm…` line of /proc/<pid>/status, in MiB.
pub(crate) fn vm_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with(field))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU seconds used by the server and by this process between two points.
pub(crate) struct CpuMeter {
    pub(crate) server_pid: String,
    pub(crate) server: f64,
    pub(crate) client: f64,
    pub(crate) wall: Instant,
}

impl CpuMeter {
    pub(crate) fn start(server: &Server) -> CpuMeter {
        let server_pid = server.pid.to_string();
        CpuMeter {
            server: cpu_secs(&server_pid),
            client: cpu_secs("self"),
            server_pid,
            wall: Instant::now(),
        }
    }

    pub(crate) fn text(&self) -> String {
        let wall = self.wall.elapsed().as_secs_f64();
        let server = cpu_secs(&self.server_pid) - self.server;
        let client = cpu_secs("self") - self.client;
        format!(
            "wall {wall:.1} s; CPU: server {server:.1} s ({:.0}% of 2 cores), load generator {client:.1} s ({:.0}%)",
            50.0 * server / wall,
            50.0 * client / wall
        )
    }

    pub(crate) fn server_secs(&self) -> f64 {
        cpu_secs(&self.server_pid) - self.server
    }
}
