//! The admin page (docs/api.md §6.2) in a real headless Chromium, driven over WebDriver.
//!
//! Each test starts a real campaignd (tests/common), Debian's `/usr/bin/chromedriver` on a free
//! port and, through it, `/usr/bin/chromium` with a fresh profile. Nothing is downloaded: when the
//! browser or its driver is missing or does not start, the test fails (it never skips); `scripts/test`
//! installs both.
//!
//! Screenshots of the main screens are written to `target/screenshots/`, or to
//! `docs/screenshots/` (the ones the README shows) with `UPDATE_SCREENSHOTS=1`; the campaign's
//! come from a campaign the simulator runs on the fast clock. Every view is checked with
//! axe-core 4 (tests/vendor/axe-core, injected through WebDriver, never served): no violation.

use crate::browser::Browser;
use crate::common::TestServer;
use campaignd::domain::scope::Scopes;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;

/// A browser with the desktop viewport the screenshots use.
async fn browser() -> Browser {
    let b = Browser::start().await;
    b.set_viewport(1280, 900).await;
    b
}

/// Every resource the page loaded (scripts, styles, fetch/XHR calls) came from `origin`.
async fn assert_same_origin_only(b: &Browser, origin: &str) {
    let names = b.loaded_urls().await;
    assert!(!names.is_empty(), "the page loaded nothing?");
    let prefix = format!("{origin}/");
    for name in &names {
        assert!(
            name.starts_with(&prefix),
            "the page requested {name}, not on {origin}"
        );
    }
    // Its styles, every one of its script modules (the imports worked under the CSP), and its
    // API calls included.
    let mut assets = vec!["/admin/style.css".to_string(), "/campaign/campaigns".into()];
    assets.extend(script_modules().iter().map(|m| format!("/admin/{m}")));
    for asset in &assets {
        assert!(
            names
                .iter()
                .any(|n| n.starts_with(&format!("{origin}{asset}"))),
            "{asset} among the page's requests: {names:?}"
        );
    }
}

/// The page's script modules, as paths under `static/` ("js/main.js", "js/views/…").
fn script_modules() -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "js") {
                let relative = path.strip_prefix(root).unwrap();
                out.push(relative.to_str().unwrap().to_string());
            }
        }
    }
    // Only the page's own scripts: static/docs/ holds the /docs page, served apart.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    let mut modules = Vec::new();
    walk(&root.join("js"), &root, &mut modules);
    modules.sort();
    assert!(
        modules.contains(&"js/main.js".to_string()),
        "static/js/main.js among {modules:?}"
    );
    modules
}

// ------------------------------------------------------------------ page steps

/// Opens the admin page and signs in with `key`; waits for the campaign list.
async fn sign_in(b: &Browser, server: &TestServer, key: &str) {
    b.goto(&server.url("/admin/")).await;
    b.wait_displayed("#view-signin").await;
    b.fill("#signin-credential", key).await;
    b.click("#signin-submit").await;
    b.wait_displayed("#view-campaigns").await;
    b.wait_displayed("#session-box").await;
    assert!(!b.displayed("#signin-error").await);
}

/// A configuration and an active campaign made through the API (for the tests that are about
/// something else), and the campaign's id.
async fn campaign_via_api(server: &TestServer, key: &str, name: &str) -> String {
    let (status, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(key),
            Some(&json!({"name": "Weekdays", "default_timezone": "America/Los_Angeles"})),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (status, campaign) = server
        .call(
            Method::POST,
            "/campaign/campaigns",
            Some(key),
            Some(&json!({"name": name, "configuration_id": config["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    campaign["id"].as_str().unwrap().to_string()
}

async fn contact_total(server: &TestServer, key: &str, campaign: &str) -> u64 {
    let (status, list) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign}/contacts"),
            Some(key),
            None,
        )
        .await;
    assert_eq!(status, 200, "{list}");
    list["total"].as_u64().unwrap()
}

// ------------------------------------------------------------------ tests

/// The page's own headers (docs/api.md §6.2), without a browser.
#[tokio::test]
async fn admin_page_is_served_with_strict_headers() {
    let server = TestServer::start().await;
    let mut files = vec![
        ("/admin/".to_string(), "text/html; charset=utf-8"),
        ("/admin/index.html".into(), "text/html; charset=utf-8"),
        ("/admin/style.css".into(), "text/css; charset=utf-8"),
    ];
    // Module scripts must come with a JavaScript MIME type, or the browser refuses to run them.
    for module in script_modules() {
        files.push((format!("/admin/{module}"), "text/javascript; charset=utf-8"));
    }
    // The page starts its modules with `<script type="module">`, from its own origin.
    let response = server.request(Method::GET, "/admin/").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<script type="module" src="js/main.js"></script>"#),
        "{html}"
    );
    for (path, content_type) in files {
        let path = path.as_str();
        let response = server.request(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let h = response.headers();
        assert_eq!(h["content-type"], content_type, "{path}");
        assert_eq!(
            h["content-security-policy"], "default-src 'self'; frame-ancestors 'none'",
            "{path}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(
            !h.keys().any(|k| k.as_str().starts_with("access-control-")),
            "{path}: no CORS headers"
        );
        assert!(!response.text().await.unwrap().is_empty(), "{path}");
    }
    // `/` sends a browser to the page.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/admin/");
    // A file that is not there is a JSON 404, still with nosniff.
    let response = server
        .request(Method::GET, "/admin/nope.js")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

/// Sign-in error, then the whole life of a campaign through the page: a configuration and a
/// campaign created in the UI, contacts showing up in the stats, pause and close changing the
/// buttons. Also: nothing requested from other hosts, nothing in localStorage or cookies.
#[tokio::test]
async fn sign_in_create_configuration_and_campaign_pause_and_close() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let b = browser().await;
    let origin = format!("http://{}", server.addr);

    // ---- a bad key: the page says why, and stays on the sign-in screen
    b.goto(&server.url("/admin/")).await;
    b.wait_displayed("#view-signin").await;
    assert!(
        !b.displayed("#mainnav").await,
        "no navigation before sign-in"
    );
    b.fill(
        "#signin-credential",
        "ak_nosuchkey.0123456789abcdef0123456789abcdef",
    )
    .await;
    // An ak_ key carries its organisation: the organisation field is not asked for.
    b.wait_hidden("#signin-org-field").await;
    b.click("#signin-submit").await;
    let error = b
        .wait_text("#signin-error", "show the refusal", |t| !t.is_empty())
        .await;
    assert!(error.contains("Invalid token"), "{error}");
    assert!(error.contains("HTTP 401"), "{error}");
    assert!(b.displayed("#view-signin").await);
    assert!(!b.displayed("#view-campaigns").await);
    b.assert_no_persistent_storage().await;
    b.published_screenshot("signin-error").await;
    b.assert_accessible("the sign-in page").await;

    // ---- the right key
    b.fill("#signin-credential", &key).await;
    b.click("#signin-submit").await;
    b.wait_displayed("#view-campaigns").await;
    b.wait_displayed("#mainnav").await;
    assert!(!b.displayed("#signin-error").await);
    // The credential is in sessionStorage at most — never localStorage nor a cookie.
    b.assert_no_persistent_storage().await;
    b.wait_displayed("#campaign-list-empty").await;
    // No configuration yet: the create form points at the configurations page.
    b.wait_displayed("#campaign-create-config-hint").await;

    // ---- a configuration, through the editor
    b.click("#nav-configurations").await;
    b.wait_displayed("#view-configurations").await;
    b.wait_displayed("#config-create-form").await;
    b.wait_displayed("#config-list-empty").await;
    b.fill("#config-create-name", "US business hours").await;
    b.fill("#config-create-timezone", "America/New_York").await;
    b.fill("#config-create-country", "US").await;
    b.fill("#config-create-max-attempts", "4").await;
    b.fill("#config-create-retry-delay", "90").await;
    // The editor starts with one window (mon–fri 09:00–17:00); add Saturday to it.
    let saturday = b
        .js("return document.querySelector('#config-create-windows .window-row .days input[value=sat]').id;")
        .await;
    let saturday = saturday.as_str().unwrap();
    // The checkbox itself is visually hidden; its label is the pill the user clicks.
    b.click(&format!("label[for='{saturday}']")).await;
    assert_eq!(
        b.js(&format!(
            "return document.getElementById('{saturday}').checked;"
        ))
        .await,
        json!(true)
    );
    b.published_screenshot("configuration-editor").await;
    b.assert_accessible("the configuration editor").await;
    b.click("#config-create-submit").await;
    let notice = b
        .wait_text("#notice-text", "confirm the configuration", |t| {
            t.contains("US business hours")
        })
        .await;
    assert!(notice.contains("created"), "{notice}");
    b.wait_text("#config-list", "list the configuration", |t| {
        t.contains("US business hours")
    })
    .await;
    assert!(!b.displayed("#error-banner").await);
    b.assert_accessible("the configuration list").await;
    // What the page sent is what the server stored.
    let (status, configs) = server
        .call(Method::GET, "/campaign/configurations", Some(&key), None)
        .await;
    assert_eq!(status, 200);
    let config = &configs["configurations"][0];
    assert_eq!(config["name"], "US business hours");
    assert_eq!(config["default_timezone"], "America/New_York");
    assert_eq!(config["default_country_code"], "US");
    assert_eq!(config["max_attempts"], 4);
    assert_eq!(config["retry_delay_minutes"], 90);
    assert_eq!(
        config["default_windows"],
        json!([{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "09:00", "end": "17:00"}])
    );
    let config_id = config["id"].as_str().unwrap().to_string();
    // Its own page, with the editor filled in.
    b.goto(&server.url(&format!("/admin/#/configurations/{config_id}")))
        .await;
    b.wait_text("#config-title", "name the configuration", |t| {
        t == "US business hours"
    })
    .await;
    b.wait_displayed("#config-edit-name").await;
    b.assert_accessible("a configuration's page").await;
    // A page that does not exist.
    b.goto(&server.url("/admin/#/nowhere")).await;
    b.wait_displayed("#view-notfound").await;
    b.assert_accessible("the not-found page").await;

    // ---- two campaigns with it (the only configuration is preselected)
    b.click("#nav-campaigns").await;
    b.wait_displayed("#view-campaigns").await;
    let (page, wanted) = (&b, json!(config_id));
    let wanted = &wanted;
    b.wait_until("the configuration in the campaign form", || async move {
        page.js("return document.getElementById('campaign-create-config').value;")
            .await
            == *wanted
    })
    .await;
    for (name, external_id, priority) in [
        ("Q4 renewals", "q4-renewals", "10"),
        ("Winback <b>spring</b>", "", "0"),
    ] {
        b.fill("#campaign-create-name", name).await;
        b.fill("#campaign-create-external-id", external_id).await;
        b.fill("#campaign-create-priority", priority).await;
        b.click("#campaign-create-submit").await;
        b.wait_text("#notice-text", "confirm the campaign", |t| t.contains(name))
            .await;
        b.wait_text("#campaign-list", "list the campaign", |t| t.contains(name))
            .await;
    }
    assert!(!b.displayed("#error-banner").await);
    // A name from the API is text, never markup.
    assert_eq!(
        b.js("return document.querySelectorAll('#campaign-list b').length;")
            .await,
        json!(0)
    );
    let rows = b
        .js("return Array.prototype.map.call(document.querySelectorAll('#campaign-list tr[data-campaign-id]'), \
             function (tr) { return [tr.dataset.campaignId, tr.cells[0].textContent, tr.cells[2].textContent]; });")
        .await;
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let campaign = rows
        .iter()
        .find(|r| r[1] == "Q4 renewals")
        .expect("the campaign in the list");
    assert_eq!(campaign[2], "active");
    let campaign_id = campaign[0].as_str().unwrap().to_string();
    let (status, stored) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign_id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(stored["external_id"], "q4-renewals");
    assert_eq!(stored["priority"], 10);
    assert_eq!(stored["configuration_id"], json!(config_id));
    b.js("window.scrollTo(0, 0); return null;").await;
    b.published_screenshot("campaigns").await;
    b.assert_accessible("the campaign list").await;

    // ---- the campaign's page: stats, then contacts arriving
    b.click(&format!(
        "#campaign-list tr[data-campaign-id='{campaign_id}'] a"
    ))
    .await;
    b.wait_displayed("#view-campaign").await;
    b.wait_text("#campaign-name", "name the campaign", |t| {
        t == "Q4 renewals"
    })
    .await;
    assert_eq!(b.text("#campaign-status").await, "active");
    assert_eq!(b.text("#campaign-id").await, campaign_id);
    b.wait_text("#stats-total", "count no contacts", |t| t == "0")
        .await;
    assert_eq!(b.text("#stats-pending").await, "0");
    assert_eq!(b.text("#stats-completed").await, "0");
    assert!(b.displayed("#btn-pause").await);
    assert!(b.displayed("#btn-close").await);
    assert!(!b.displayed("#btn-start").await);
    assert!(b.displayed("#upload-dropzone").await);

    // Contacts added by another client show up on refresh (the CSV path is its own test).
    let contacts: Vec<Value> = (0..3)
        .map(|i| json!({"external_id": format!("c{i}"), "phone_numbers": [format!("+1650253000{i}")]}))
        .collect();
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{campaign_id}/contacts"),
            Some(&key),
            Some(&json!({ "contacts": contacts })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    b.click("#stats-refresh").await;
    b.wait_text("#stats-total", "count 3 contacts", |t| t == "3")
        .await;
    assert_eq!(b.text("#stats-pending").await, "3");
    assert_eq!(b.text("#stats-in-progress").await, "0");
    assert_eq!(b.text("#stats-exhausted").await, "0");
    assert_eq!(b.text("#stats-attempts-total").await, "0");
    b.screenshot("campaign-new").await;
    b.assert_accessible("the campaign page").await;

    // ---- pause: Start and Close are offered
    b.click("#btn-pause").await;
    b.wait_text("#campaign-status", "become paused", |t| t == "paused")
        .await;
    b.wait_displayed("#btn-start").await;
    assert!(!b.displayed("#btn-pause").await);
    assert!(b.displayed("#btn-close").await);
    assert!(
        b.displayed("#upload-dropzone").await,
        "paused accepts contacts"
    );

    // ---- close: no lifecycle button any more, and no upload
    b.click("#btn-close").await;
    b.wait_text("#campaign-status", "become closed", |t| t == "closed")
        .await;
    b.wait_hidden("#btn-close").await;
    assert!(!b.displayed("#btn-start").await);
    assert!(!b.displayed("#btn-pause").await);
    assert!(b.displayed("#campaign-closed-note").await);
    assert!(b.displayed("#upload-closed").await);
    assert!(!b.displayed("#upload-dropzone").await);
    assert!(!b.displayed("#error-banner").await);
    let (_, stored) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign_id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(stored["status"], "closed");
    // The counts stay.
    assert_eq!(b.text("#stats-total").await, "3");

    // ---- back to the list: the statuses changed there too
    b.click("#campaign-back").await;
    b.wait_displayed("#view-campaigns").await;
    b.wait_text(
        &format!("#campaign-list tr[data-campaign-id='{campaign_id}']"),
        "show the campaign closed",
        |t| t.contains("closed"),
    )
    .await;

    // ---- a phone-width window
    b.set_viewport(390, 844).await;
    b.js("window.scrollTo(0, 0); return null;").await;
    // Nothing wider than the screen makes the page itself scroll sideways.
    let overflow = b
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await;
    assert_eq!(overflow, json!(0), "horizontal overflow at 390 px");
    // The name and the status of each campaign fit on the screen.
    let fits = b
        .js("return Array.prototype.every.call(document.querySelectorAll('#campaign-list .badge, #campaign-list .rowlink'), \
             function (e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth; });")
        .await;
    assert_eq!(fits, json!(true), "names and statuses within 390 px");
    b.published_screenshot("campaigns-phone").await;
    b.assert_accessible("the campaign list at phone width")
        .await;

    assert_same_origin_only(&b, &origin).await;
    b.assert_no_persistent_storage().await;

    // ---- sign out: the credential is gone from the tab
    b.set_viewport(1280, 900).await;
    b.click("#signout").await;
    b.wait_displayed("#view-signin").await;
    let session = b.js("return sessionStorage.length;").await;
    assert_eq!(session, json!(0));
    b.close().await;
}

/// The CSV import of docs/api.md §6.1 as the page does it: choosing a file runs a dry run (nothing
/// written), Import writes, and the counts change.
#[tokio::test]
async fn csv_upload_dry_run_then_import() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let campaign_id = campaign_via_api(&server, &key, "Spring outreach").await;
    let b = browser().await;
    sign_in(&b, &server, &key).await;

    b.goto(&server.url(&format!("/admin/#/campaigns/{campaign_id}")))
        .await;
    b.wait_text("#campaign-name", "name the campaign", |t| {
        t == "Spring outreach"
    })
    .await;
    b.wait_text("#stats-total", "count no contacts", |t| t == "0")
        .await;

    // Three good rows, one whose number is not a phone number; a header that looks like markup.
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("spring.csv");
    std::fs::write(
        &csv,
        "phone,external_id,first_name,<b>note</b>\n\
         +16502530000,s1,Ada,hello\n\
         (650) 253-0001,s2,Grace,\n\
         +16502530002,s3,Linus,\"multi\nline\"\n\
         12,s4,Bad,number\n",
    )
    .unwrap();
    b.find("#upload-file")
        .await
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();

    // ---- the dry run
    b.wait_displayed("#upload-dryrun-result").await;
    b.wait_hidden("#upload-progress-box").await;
    let headline = b.text("#upload-dryrun-result .upload-headline").await;
    assert!(
        headline.contains("spring.csv") && headline.contains("dry run"),
        "the dry run should succeed; the page shows {:?}",
        b.text("#upload-dryrun-result").await
    );
    assert_eq!(b.text("#upload-dry-inserted").await, "3");
    assert_eq!(b.text("#upload-dry-updated").await, "0");
    assert_eq!(b.text("#upload-dry-error-count").await, "1");
    let errors = b.text("#upload-dry-errors").await;
    assert!(errors.contains("line 6"), "{errors}"); // the quoted field spans lines 4–5
    let columns = b.text("#upload-dry-columns").await;
    assert!(columns.contains("phone_numbers"), "{columns}");
    assert!(columns.contains("data.first_name"), "{columns}");
    assert!(columns.contains("data.<b>note</b>"), "{columns}");
    assert_eq!(
        b.js("return document.querySelectorAll('#upload-dryrun-result b').length;")
            .await,
        json!(0),
        "a CSV header is shown as text"
    );
    assert!(b.displayed("#upload-import").await);
    // Nothing written yet.
    assert_eq!(contact_total(&server, &key, &campaign_id).await, 0);
    b.js("document.getElementById('upload-card').scrollIntoView(); return null;")
        .await;
    b.published_screenshot("upload-dry-run").await;
    b.assert_accessible("the CSV import's dry run").await;

    // ---- import, skipping the bad row
    b.click("#upload-skip-invalid").await;
    b.click("#upload-import").await;
    b.wait_displayed("#upload-result").await;
    b.wait_text("#upload-res-inserted", "count the inserted rows", |t| {
        t == "3"
    })
    .await;
    assert_eq!(b.text("#upload-res-error-count").await, "1");
    assert!(!b.displayed("#upload-import").await);
    b.wait_text("#stats-total", "count 3 contacts", |t| t == "3")
        .await;
    assert_eq!(b.text("#stats-pending").await, "3");
    b.wait_text("#contacts-list", "list the contacts", |t| {
        t.contains("+16502530001") && t.contains("s3")
    })
    .await;
    assert_eq!(contact_total(&server, &key, &campaign_id).await, 3);
    assert!(!b.displayed("#error-banner").await);
    b.assert_no_persistent_storage().await;
    b.close().await;
}

/// An attempt as the dialer writes it into the `attempts` table.
#[derive(Clone, Copy)]
struct AttemptRow<'a> {
    id: &'a str,
    phone_number: &'a str,
    status: &'a str,
    outcome: Option<&'a str>,
    started_at: &'a str,
    ended_at: Option<&'a str>,
    conversation_id: Option<&'a str>,
}

/// Writes `attempts` (inserted, or updated by id) straight into the database, as the dialer
/// would, and gives the contact `status` and the matching `attempt_count` (the triggers keep the
/// stats' counters).
fn record_attempts(server: &TestServer, contact_id: &str, status: &str, attempts: &[AttemptRow]) {
    server.admin(|conn| {
        let seq: i64 = conn.query_one(
            "SELECT seq FROM contacts WHERE id = ?1",
            campaignd::store::args![contact_id],
            |r| r.get(0),
        )?;
        for a in attempts {
            conn.execute(
                "INSERT INTO attempts (id, contact_seq, phone_number, conversation_id, status,
                                       outcome, started_at, ended_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET status = excluded.status,
                     outcome = excluded.outcome, ended_at = excluded.ended_at,
                     conversation_id = excluded.conversation_id",
                campaignd::store::args![
                    a.id,
                    seq,
                    a.phone_number,
                    a.conversation_id,
                    a.status,
                    a.outcome,
                    a.started_at,
                    a.ended_at
                ],
            )?;
        }
        let (count, last_started): (i64, String) = conn.query_one(
            "SELECT count(*), max(started_at) FROM attempts WHERE contact_seq = ?1",
            campaignd::store::args![seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let dialing = matches!(status, "locked" | "in_progress");
        conn.execute(
            "UPDATE contacts SET status = ?2, attempt_count = ?3, locked_at = ?4,
                 dial_at = NULL, updated_at = ?5
             WHERE seq = ?1",
            campaignd::store::args![
                seq,
                status,
                count,
                dialing.then_some(&last_started),
                last_started
            ],
        )?;
        Ok(())
    });
}

/// The cells (number, phone number, outcome, duration) of the attempt rows under `css`.
async fn attempt_cells(b: &Browser, css: &str) -> Value {
    b.js(&format!(
        "return Array.prototype.map.call(document.querySelectorAll(\"{css} tr[data-attempt-id]\"), \
         function (tr) {{ return ['.att-n', '.att-phone', '.att-outcome', '.att-duration'].map(\
         function (c) {{ return tr.querySelector(c).textContent; }}); }});"
    ))
    .await
}

/// The campaign page while a campaign runs: the dialer's mode in the top bar, calls up against
/// the organisation's limit, and each contact's attempts (number, phone number, outcome, start,
/// duration) in the contacts list — all picked up by the automatic refresh, without a click —
/// and in the contact's own view.
#[tokio::test]
async fn attempts_and_calls_up_show_and_refresh_while_active() {
    let server = TestServer::start().await;
    let key = server.key("org_a", Scopes::ALL);
    let campaign_id = campaign_via_api(&server, &key, "Renewals March").await;
    let contacts = json!({"contacts": [
        {"external_id": "ada", "phone_numbers": ["+16502530000", "+16502530010"],
         "data": {"first_name": "Ada"}, "timezone": "America/Los_Angeles"},
        {"external_id": "grace", "phone_numbers": ["+16502530001"],
         "data": {"first_name": "Grace"}, "timezone": "America/New_York"},
        {"external_id": "linus", "phone_numbers": ["+16502530002"],
         "data": {"first_name": "Linus"}, "timezone": "America/Chicago"}
    ]});
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{campaign_id}/contacts"),
            Some(&key),
            Some(&contacts),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign_id}/contacts"),
            Some(&key),
            None,
        )
        .await;
    let id_of = |external: &str| {
        list["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["external_id"] == external)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ada, grace) = (id_of("ada"), id_of("grace"));

    let b = browser().await;
    sign_in(&b, &server, &key).await;
    // The dialer's mode, from /healthz, in the top bar (this server's is off).
    b.wait_text("#dialer-mode-value", "show the dialer mode", |t| t == "off")
        .await;
    assert!(b.displayed("#dialer-mode").await);
    // A server whose /healthz does not name the dialer (campaignd before the dialer): the page
    // shows no mode rather than a wrong one, and goes on working. The page's own module is asked
    // again with /healthz answering the old way.
    let shown = b
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1]; var real = window.fetch;\
             window.fetch = function (url, init) { return String(url) === '/healthz' ? \
               Promise.resolve(new Response('{\"status\":\"ok\"}', {status: 200})) : real(url, init); };\
             import('/admin/js/dialer.js').then(function (m) { return m.loadDialerMode(); })\
               .then(function (mode) { window.fetch = real; \
                 done([mode, document.getElementById('dialer-mode').hidden]); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!([null, true]), "no mode, pill hidden");
    // Back to this server's answer.
    let shown = b
        .client
        .execute_async(
            "var done = arguments[arguments.length - 1];\
             import('/admin/js/dialer.js').then(function (m) { return m.loadDialerMode(); })\
               .then(function (mode) { done([mode, document.getElementById('dialer-mode').hidden]); });",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!(["off", false]));

    b.goto(&server.url(&format!("/admin/#/campaigns/{campaign_id}")))
        .await;
    b.wait_text("#stats-total", "count 3 contacts", |t| t == "3")
        .await;
    assert_eq!(b.text("#stats-attempts-total").await, "0");
    assert_eq!(b.text("#stats-active-calls").await, "0");
    assert_eq!(b.text("#stats-concurrency-limit").await, "10");
    let note = b.text("#stats-note").await;
    assert!(note.contains("every 2 seconds"), "{note}");
    // With the dialer off, an active campaign says why nothing moves.
    let off = b.text("#dialer-off-note").await;
    assert!(off.contains("--dialer simulate"), "{off}");
    b.wait_text("#contacts-list", "list the contacts", |t| {
        t.contains("linus")
    })
    .await;
    // No attempt yet: nothing to expand.
    assert_eq!(
        b.js("return document.querySelectorAll('#contacts-list button[data-toggle-for]').length;")
            .await,
        json!(0)
    );

    // ---- the dialer's work, written as the dialer writes it: Ada was not answered on her first
    // number, then answered on her second; Grace's call is up.
    record_attempts(
        &server,
        &ada,
        "completed",
        &[
            AttemptRow {
                id: "0195a1b2-0000-7000-8000-000000000001",
                phone_number: "+16502530000",
                status: "failed",
                outcome: Some("no_answer"),
                started_at: "2026-03-02T17:00:00.000Z",
                ended_at: Some("2026-03-02T17:00:25.000Z"),
                conversation_id: Some("sim_0195a1b2-0000-7000-8000-000000000001"),
            },
            AttemptRow {
                id: "0195a1b2-0000-7000-8000-000000000002",
                phone_number: "+16502530010",
                status: "completed",
                outcome: Some("answered"),
                started_at: "2026-03-03T18:30:00.000Z",
                ended_at: Some("2026-03-03T18:32:05.000Z"),
                conversation_id: Some("<b>conv</b>"),
            },
        ],
    );
    let grace_call = AttemptRow {
        id: "0195a1b2-0000-7000-8000-000000000003",
        phone_number: "+16502530001",
        status: "in_progress",
        outcome: None,
        started_at: "2026-03-03T18:31:00.000Z",
        ended_at: None,
        conversation_id: Some("sim_0195a1b2-0000-7000-8000-000000000003"),
    };
    record_attempts(&server, &grace, "in_progress", &[grace_call]);

    // The page picks it all up by itself (the campaign is active): no click on Refresh.
    b.wait_text("#stats-attempts-total", "count 3 attempts", |t| t == "3")
        .await;
    b.wait_text("#stats-active-calls", "count 1 call up", |t| t == "1")
        .await;
    assert_eq!(b.text("#stats-concurrency-limit").await, "10");
    assert_eq!(b.text("#stats-completed").await, "1");
    assert_eq!(b.text("#stats-in-progress").await, "1");
    assert_eq!(b.text("#stats-attempts-avg").await, "1.00");
    let bar = b
        .js("return document.getElementById('stats-calls-bar').style.width;")
        .await;
    assert_eq!(bar, json!("10%"), "calls up meter at 1 of 10");

    // ---- Ada's attempts, expanded in the list
    let toggle = format!("#contacts-list button[data-toggle-for='{ada}']");
    b.wait_displayed(&toggle).await;
    assert_eq!(b.text(&toggle).await, "2 ▸");
    b.click(&toggle).await;
    let ada_rows = format!("#contacts-list tr.attempts-row[data-attempts-for='{ada}']");
    b.wait_displayed(&ada_rows).await;
    assert_eq!(
        attempt_cells(&b, &ada_rows).await,
        json!([
            ["1", "+16502530000", "no_answer", "25 s"],
            ["2", "+16502530010", "answered", "2 min 5 s"]
        ])
    );
    // Each start is there, as a <time> of the stored instant.
    let starts = b
        .js(&format!(
            "return Array.prototype.map.call(document.querySelectorAll(\"{ada_rows} .att-started time\"), \
             function (t) {{ return t.getAttribute('datetime'); }});"
        ))
        .await;
    assert_eq!(
        starts,
        json!(["2026-03-02T17:00:00.000Z", "2026-03-03T18:30:00.000Z"])
    );
    assert_eq!(
        b.js(&format!(
            "return document.querySelector(\"{toggle}\").getAttribute('aria-expanded');"
        ))
        .await,
        json!("true")
    );

    // ---- Grace's call, up
    let grace_toggle = format!("#contacts-list button[data-toggle-for='{grace}']");
    b.click(&grace_toggle).await;
    let grace_rows = format!("#contacts-list tr.attempts-row[data-attempts-for='{grace}']");
    b.wait_displayed(&grace_rows).await;
    assert_eq!(
        attempt_cells(&b, &grace_rows).await,
        json!([["1", "+16502530001", "in progress", "in progress"]])
    );
    b.js(
        "document.getElementById('contacts-list').closest('.card').scrollIntoView(); return null;",
    )
    .await;
    b.screenshot("contact-attempts-written").await;
    b.assert_accessible("the contacts list with attempts").await;

    // ---- Grace's call ends (busy): the next refresh shows it, and the rows stay expanded.
    let ended = AttemptRow {
        status: "failed",
        outcome: Some("busy"),
        ended_at: Some("2026-03-03T18:31:40.000Z"),
        ..grace_call
    };
    record_attempts(&server, &grace, "pending", &[ended]);
    b.wait_text("#stats-active-calls", "count no call up", |t| t == "0")
        .await;
    let (page, rows) = (&b, grace_rows.as_str());
    b.wait_until("Grace's attempt to show its end", || async move {
        attempt_cells(page, rows).await == json!([["1", "+16502530001", "busy", "40 s"]])
    })
    .await;
    assert!(b.displayed(&ada_rows).await, "Ada's attempts stay expanded");
    // Folding them away.
    b.click(&toggle).await;
    b.wait_hidden(&ada_rows).await;
    assert!(!b.displayed("#error-banner").await);

    // ---- Ada's own view lists the same attempts, with their ends and conversations
    b.click(&format!(
        "#contacts-list tr[data-contact-id='{ada}'] a.rowlink"
    ))
    .await;
    b.wait_displayed("#view-contact").await;
    b.wait_text("#contact-title", "name the contact", |t| t == "Contact ada")
        .await;
    b.wait_text("#contact-attempts", "list the attempts", |t| {
        t.contains("answered")
    })
    .await;
    assert_eq!(
        attempt_cells(&b, "#contact-attempts").await,
        json!([
            ["1", "+16502530000", "no_answer", "25 s"],
            ["2", "+16502530010", "answered", "2 min 5 s"]
        ])
    );
    // A conversation id from the API is text, never markup.
    let conversation = b
        .text("#contact-attempts tr:nth-child(2) .att-conversation")
        .await;
    assert_eq!(conversation, "<b>conv</b>");
    assert_eq!(
        b.js("return document.querySelectorAll('#contact-attempts b').length;")
            .await,
        json!(0)
    );
    b.assert_accessible("a contact's page").await;

    // ---- paused: the page stops refreshing, and says so
    b.click("#contact-back").await;
    b.wait_displayed("#view-campaign").await;
    b.wait_displayed("#btn-pause").await;
    b.click("#btn-pause").await;
    b.wait_text("#campaign-status", "become paused", |t| t == "paused")
        .await;
    let note = b.text("#stats-note").await;
    assert!(note.contains("off while the campaign is paused"), "{note}");
    assert!(!b.displayed("#dialer-off-note").await);
    assert!(!b.displayed("#error-banner").await);
    b.assert_no_persistent_storage().await;
    b.close().await;
}

/// With the simulator dialing on a fast clock (a minute per second), the page shows what the
/// real dialer does, by itself: the mode, the calls up against the limit while they last, then
/// each contact's answered attempt with its duration.
#[tokio::test]
async fn simulated_calls_show_up_on_the_page_as_they_happen() {
    use campaignd::dialer::{self, Mode, simulate};
    use campaignd::domain::clock::Clock;

    let settings = dialer::Settings {
        mode: Mode::Simulate,
        simulation: simulate::Settings {
            outcomes: "answered=1".parse().unwrap(),
            // Ten minutes of campaignd's clock: ten seconds on the page.
            call_seconds: "600-600".parse().unwrap(),
            seed: Some(7),
        },
        ..dialer::Settings::default()
    };
    let clock = Clock::started("2026-03-04T19:00:00Z".parse().unwrap(), 60.0);
    let server = TestServer::start_with(clock, settings).await;
    let key = server.key("org_a", Scopes::ALL);
    let all_week = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    let (status, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(&key),
            Some(&json!({"name": "Always", "default_timezone": "America/Los_Angeles",
                         "default_windows": [{"days": all_week, "start": "00:00", "end": "23:59"}]})),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (status, campaign) = server
        .call(
            Method::POST,
            "/campaign/campaigns",
            Some(&key),
            Some(&json!({"name": "Simulated", "configuration_id": config["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let campaign_id = campaign["id"].as_str().unwrap().to_string();

    let b = browser().await;
    sign_in(&b, &server, &key).await;
    b.wait_text("#dialer-mode-value", "show the dialer mode", |t| {
        t == "simulate"
    })
    .await;
    b.goto(&server.url(&format!("/admin/#/campaigns/{campaign_id}")))
        .await;
    b.wait_text("#stats-total", "count no contacts", |t| t == "0")
        .await;
    assert!(!b.displayed("#dialer-off-note").await);

    let contacts: Vec<Value> = (0..3)
        .map(|i| json!({"external_id": format!("s{i}"), "phone_numbers": [format!("+1650253000{i}")]}))
        .collect();
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{campaign_id}/contacts"),
            Some(&key),
            Some(&json!({ "contacts": contacts })),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The three calls up, against the organisation's limit of 10 — no click needed.
    b.wait_text("#stats-active-calls", "count 3 calls up", |t| t == "3")
        .await;
    assert_eq!(b.text("#stats-concurrency-limit").await, "10");
    assert_eq!(b.text("#stats-attempts-total").await, "3");
    // Then all answered, each attempt with its ten minutes.
    b.wait_text("#stats-completed", "count 3 completed", |t| t == "3")
        .await;
    b.wait_text("#stats-active-calls", "count no call up", |t| t == "0")
        .await;
    let toggles = b
        .js("return Array.prototype.map.call(document.querySelectorAll('#contacts-list button[data-toggle-for]'), \
             function (t) { return t.dataset.toggleFor; });")
        .await;
    let toggles = toggles.as_array().unwrap().clone();
    assert_eq!(toggles.len(), 3, "{toggles:?}");
    for id in &toggles {
        let id = id.as_str().unwrap();
        b.click(&format!("#contacts-list button[data-toggle-for='{id}']"))
            .await;
        let rows = format!("#contacts-list tr.attempts-row[data-attempts-for='{id}']");
        b.wait_displayed(&rows).await;
        let cells = attempt_cells(&b, &rows).await;
        let cells = cells.as_array().unwrap();
        assert_eq!(cells.len(), 1, "{cells:?}");
        assert_eq!(cells[0][0], "1");
        assert_eq!(cells[0][2], "answered");
        // The loop ends a call within its pass, so a few seconds of the fast clock may be added.
        let duration = cells[0][3].as_str().unwrap();
        assert!(duration.starts_with("10 min "), "{duration}");
    }
    assert!(!b.displayed("#error-banner").await);
    b.close().await;
}

/// The total of the attempts chart's legend (every outcome), and the answered ones.
async fn legend_counts(b: &Browser) -> (u64, u64) {
    let counts = b
        .js("return Array.prototype.map.call(document.querySelectorAll('#chart-attempts-legend li'), \
             function (li) { return [li.dataset.outcome, li.querySelector('.n').textContent]; });")
        .await;
    let mut total = 0;
    let mut answered = 0;
    for pair in counts.as_array().unwrap() {
        let n: u64 = pair[1].as_str().unwrap().replace(',', "").parse().unwrap();
        total += n;
        if pair[0] == "answered" {
            answered = n;
        }
    }
    (total, answered)
}

fn number_text(text: &str) -> u64 {
    text.replace(',', "").parse().unwrap_or(u64::MAX)
}

/// A campaign the simulator runs on the fast clock (ten minutes a second), watched as a user
/// would: a contact's page fills in by itself as its calls happen; the campaign page's charts
/// draw and move while calls go on, the estimate gives a time left and a finish in the
/// campaign's timezone, and at the end the charts' totals are the statistics'. Nothing comes from
/// another host, axe-core finds nothing, and the README's screenshots are taken from this run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_run_draws_its_charts_and_estimate() {
    use campaignd::dialer::{self, Mode, simulate};
    use campaignd::domain::clock::Clock;

    let settings = dialer::Settings {
        mode: Mode::Simulate,
        simulation: simulate::Settings {
            outcomes: "answered=55,voicemail=10,no_answer=20,busy=10,failed=5"
                .parse()
                .unwrap(),
            call_seconds: "30-300".parse().unwrap(),
            seed: Some(11),
        },
        ..dialer::Settings::default()
    };
    // Tuesday 2026-12-01, 09:00 in New York.
    let clock = Clock::started("2026-12-01T14:00:00Z".parse().unwrap(), 600.0);
    let server = TestServer::start_with(clock, settings).await;
    let key = server.key("org_a", Scopes::ALL);
    let weekdays = json!(["mon", "tue", "wed", "thu", "fri"]);
    let (status, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(&key),
            Some(
                &json!({"name": "US business hours", "default_timezone": "America/New_York",
                         "default_windows": [{"days": weekdays, "start": "09:00", "end": "17:00"}],
                         "max_attempts": 3, "retry_delay_minutes": 30}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{config}");
    let (status, campaign) = server
        .call(
            Method::POST,
            "/campaign/campaigns",
            Some(&key),
            Some(
                &json!({"name": "Winter renewals", "configuration_id": config["id"],
                         "external_id": "winter-renewals"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{campaign}");
    let campaign_id = campaign["id"].as_str().unwrap().to_string();
    let first_names = [
        "Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances",
    ];
    let contacts: Vec<Value> = (0..200)
        .map(|i| {
            json!({"external_id": format!("crm-{:04}", 1000 + i),
                   "phone_numbers": [format!("+1650253{:04}", i)],
                   "data": {"first_name": first_names[i % first_names.len()], "plan": "pro"}})
        })
        .collect();
    let (status, body) = server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{campaign_id}/contacts"),
            Some(&key),
            Some(&json!({ "contacts": contacts })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let last = body["contact_ids"][199].as_str().unwrap().to_string();

    let b = browser().await;
    sign_in(&b, &server, &key).await;
    let origin = format!("http://{}", server.addr);

    // ---- the last contact in line, before its first call: its page fills in by itself.
    b.goto(&server.url(&format!("/admin/#/campaigns/{campaign_id}/contacts/{last}")))
        .await;
    b.wait_text("#contact-title", "name the contact", |t| {
        t == "Contact crm-1199"
    })
    .await;
    b.wait_until(
        "the contact's first call to show, without a click",
        || async {
            b.js(
                "return document.querySelectorAll('#contact-attempts tr[data-attempt-id]').length;",
            )
            .await
            .as_u64()
            .unwrap_or(0)
                >= 1
        },
    )
    .await;
    b.assert_accessible("a contact's page during a run").await;

    // ---- the campaign page while calls go on
    b.goto(&server.url(&format!("/admin/#/campaigns/{campaign_id}")))
        .await;
    b.wait_text("#campaign-name", "name the campaign", |t| {
        t == "Winter renewals"
    })
    .await;
    b.wait_until("the attempts chart to draw bars", || async {
        b.js("return document.querySelectorAll('#chart-attempts rect[class^=bar-]').length;")
            .await
            .as_u64()
            .unwrap_or(0)
            > 0
    })
    .await;
    let estimate = b
        .wait_text("#estimate", "give a time left", |t| {
            t.contains("of calling left")
        })
        .await;
    assert!(estimate.contains("— done "), "{estimate}");
    assert!(estimate.contains("(America/New_York)"), "{estimate}");
    assert_eq!(
        b.js("return document.getElementById('estimate').dataset.state;")
            .await,
        json!("calling")
    );
    let range = b.text("#chart-range").await;
    assert!(range.contains("times in America/New_York"), "{range}");
    // The whole run is about 2 h of campaignd's clock (12 s); a busy machine gets more time.
    let run = std::time::Duration::from_secs(180);
    // The charts follow campaignd's clock: what they count grows while the simulator calls.
    let (before, _) = legend_counts(&b).await;
    b.wait_until_within(run, "the chart to count more ended calls", || async {
        legend_counts(&b).await.0 > before
    })
    .await;
    b.js("document.getElementById('stats').closest('.card').scrollIntoView(); return null;")
        .await;
    b.published_screenshot("campaign-detail").await;
    b.assert_accessible("the campaign page with its charts")
        .await;

    // Two contacts' attempts unfolded, as the simulator made them.
    b.wait_until_within(run, "contacts with two attempts", || async {
        b.js("return Array.prototype.filter.call(\
                 document.querySelectorAll('#contacts-list button[data-toggle-for]'), \
                 function (t) { return t.textContent.indexOf('1 ') !== 0; }).length;")
            .await
            .as_u64()
            .unwrap_or(0)
            >= 1
    })
    .await;
    let toggles = b
        .js("var all = Array.prototype.slice.call(document.querySelectorAll('#contacts-list button[data-toggle-for]'));\
             var many = all.filter(function (t) { return t.textContent.indexOf('1 ') !== 0; });\
             var one = all.filter(function (t) { return t.textContent.indexOf('1 ') === 0; });\
             return many.slice(0, 1).concat(one.slice(0, 1)).map(function (t) { return t.dataset.toggleFor; });")
        .await;
    for id in toggles.as_array().unwrap() {
        let id = id.as_str().unwrap();
        b.click(&format!("#contacts-list button[data-toggle-for='{id}']"))
            .await;
        b.wait_displayed(&format!(
            "#contacts-list tr.attempts-row[data-attempts-for='{id}']"
        ))
        .await;
    }
    b.js(
        "document.getElementById('contacts-list').closest('.card').scrollIntoView(); return null;",
    )
    .await;
    b.published_screenshot("contact-attempts").await;
    b.assert_accessible("the contacts list with attempts during a run")
        .await;

    // ---- the end: every contact completed or exhausted; the charts' totals are the stats'.
    b.wait_until_within(
        run,
        "every contact to be done, and the charts to say so",
        || async {
            let done = number_text(&b.text("#stats-completed").await)
                + number_text(&b.text("#stats-exhausted").await);
            let attempts = number_text(&b.text("#stats-attempts-total").await);
            let (ended, answered) = legend_counts(&b).await;
            done == 200
                && ended == attempts
                && answered == number_text(&b.text("#stats-completed").await)
                && b.text("#chart-progress-label").await == "200 of 200"
        },
    )
    .await;
    b.wait_text("#estimate", "say nothing is left", |t| {
        t == "Nothing left to call."
    })
    .await;
    let (_, stats) = server
        .call(
            Method::GET,
            &format!("/campaign/campaigns/{campaign_id}/stats"),
            Some(&key),
            None,
        )
        .await;
    let (ended, answered) = legend_counts(&b).await;
    assert_eq!(json!(ended), stats["attempts"]["total"]);
    assert_eq!(json!(answered), stats["contacts"]["completed"]);
    assert!(!b.displayed("#error-banner").await);
    assert_same_origin_only(&b, &origin).await;
    assert!(b.csp_violations().await.is_empty());
    b.close().await;
}

/// Sunday afternoon with Monday–Friday windows (a newcomer trying it on a weekend): the page says
/// the contacts are due but every window is closed, and until when.
#[tokio::test]
async fn on_a_weekend_the_page_says_when_the_windows_open() {
    use campaignd::dialer::{self, Mode};
    use campaignd::domain::clock::Clock;

    let clock = Clock::started("2026-12-06T15:00:00Z".parse().unwrap(), 1.0);
    let settings = dialer::Settings {
        mode: Mode::Simulate,
        ..dialer::Settings::default()
    };
    let server = TestServer::start_with(clock, settings).await;
    let key = server.key("org_a", Scopes::ALL);
    let weekdays = json!(["mon", "tue", "wed", "thu", "fri"]);
    let (_, config) = server
        .call(
            Method::POST,
            "/campaign/configurations",
            Some(&key),
            Some(&json!({"name": "Weekdays", "default_timezone": "America/New_York",
                         "default_windows": [{"days": weekdays, "start": "09:00", "end": "17:00"}]})),
        )
        .await;
    let (_, campaign) = server
        .call(
            Method::POST,
            "/campaign/campaigns",
            Some(&key),
            Some(&json!({"name": "Weekend try", "configuration_id": config["id"]})),
        )
        .await;
    let campaign_id = campaign["id"].as_str().unwrap().to_string();
    let contacts: Vec<Value> = (0..3)
        .map(|i| json!({"phone_numbers": [format!("+1650253000{i}")]}))
        .collect();
    let (status, _) = server
        .call(
            Method::POST,
            &format!("/campaign/campaigns/{campaign_id}/contacts"),
            Some(&key),
            Some(&json!({ "contacts": contacts })),
        )
        .await;
    assert_eq!(status, 200);

    let b = browser().await;
    sign_in(&b, &server, &key).await;
    b.goto(&server.url(&format!("/admin/#/campaigns/{campaign_id}")))
        .await;
    let estimate = b
        .wait_text("#estimate", "say the windows are closed", |t| {
            t.contains("every calling window is closed")
        })
        .await;
    assert!(estimate.starts_with("3 contacts due"), "{estimate}");
    assert!(estimate.contains("until Monday"), "{estimate}");
    assert!(estimate.contains("09:00 (America/New_York)"), "{estimate}");
    assert_eq!(
        b.js("return document.getElementById('estimate').dataset.state;")
            .await,
        json!("windows_closed")
    );
    assert!(b.displayed("#estimate").await);
    assert_eq!(b.text("#stats-attempts-total").await, "0");
    b.assert_accessible("the campaign page on a weekend").await;
    b.close().await;
}
