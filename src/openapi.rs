//! The OpenAPI 3.1 document served at `/campaign/openapi.json`.

use serde_json::{Value, json};

pub fn document() -> &'static Value {
    static DOCUMENT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| json!({"openapi": "3.1.0", "info": {"title": "campaignd", "version": env!("CARGO_PKG_VERSION")}, "paths": {}}))
}
