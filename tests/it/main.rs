//! The integration tests, in one binary: each test binary links the whole crate, and on a
//! 2-core machine one link instead of seventeen is most of an incremental build. Each module
//! is one part of docs/api.md (or of the operations around it), through the real HTTP interface
//! or the real binary.

mod browser;
mod common;

mod admin_page;
mod api_reference;
mod auth;
mod campaigns;
mod cli;
mod configurations;
mod contacts;
mod copy;
mod dialer;
mod docs_page;
mod import;
mod nodes;
mod openapi;
mod ops;
mod phone_corpus;
mod timeline;
mod twilio;
mod upgrade;
mod webhook;
