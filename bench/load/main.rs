//! Load benchmark for campaignd: the performance and durability goals of docs/api.md §7, measured over
//! HTTP against the real release binary on 127.0.0.1.
//!
//!     cargo build --release
//!     cargo run --release --example load -- --contacts 1000000
//!
//! Options (all optional):
//!   --contacts N           contacts in the ordered upsert campaign (default 1,000,000)
//!   --random-contacts N    contacts in the random-external_id campaign (default: --contacts)
//!   --only a,b,…           scenarios: upsert, reads, list, writers, startup, random, crash
//!                          (default: all; memory is read after each phase that loads the server)
//!   --read-secs S          length of each read load (default 10)
//!   --writer-secs S        length of the 64-writer load (default 30)
//!   --crash-rounds N       kill -9 rounds (default 3)
//!   --dir PATH             keep the database there (default: a temporary folder, removed at the
//!                          end); a database already there is reused, and a campaign that already
//!                          holds its contacts is not filled again
//!   --bin PATH             the server binary (default target/release/campaignd)
//!   --database-url URL     run the server on this (empty) PostgreSQL database instead of a
//!                          SQLite file; the SQLite-only scenarios (startup, crash) and the
//!                          final integrity_check are left out
//!
//! The load generator runs on the same machine as the server and takes its share of the CPU;
//! every phase reports the CPU seconds each side used, so the server's cost per request can be
//! read apart from the client's.

// One module per part of the benchmark; each takes what it needs from this root with
// `use crate::*`, so the uses below are the benchmark's prelude.
mod contacts;
mod hammer;
mod measure;
mod options;
mod report;
mod scenarios;
mod server;
mod upsert;

use contacts::*;
use hammer::*;
use measure::*;
use options::*;
use report::*;
pub(crate) use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use scenarios::*;
pub(crate) use serde_json::{Value, json};
use server::*;
pub(crate) use std::collections::{BTreeMap, HashMap};
pub(crate) use std::fmt::Write as _;
pub(crate) use std::path::{Path, PathBuf};
pub(crate) use std::process::{Child, Command, Stdio};
pub(crate) use std::sync::Arc;
pub(crate) use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
pub(crate) use std::time::{Duration, Instant};
use upsert::*;

pub(crate) const KEY: &str = "ak_bench.5f0c2a9e4b7d41c3a8e6f1b2d9c07a54e3b8";
pub(crate) const BATCH: usize = 1000;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub(crate) type Result<T> = std::result::Result<T, BoxError>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("load: {error}");
        std::process::exit(1);
    }
}
