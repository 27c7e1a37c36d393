//! Types that cannot hold an invalid value, and the pure rules around them. No I/O.

pub mod attempt;
pub mod clock;
pub mod contact;
pub mod credential;
pub mod ids;
pub mod json;
pub mod phone;
pub mod schedule;
pub mod scope;
pub mod status;
pub mod time;
pub mod timeline;
pub mod twilio;
