//! `GET /dashboard`: a page for people, with the genre distribution, audio features per genre,
//! popularity and features by release year, a feature's distribution and an artist lookup, all
//! drawn from `/graphql` by the page itself.
//!
//! Its files are embedded in the binary: the page, its script and style
//! (`assets/dashboard`), and Chart.js from the npm package pinned in
//! `assets/dashboard/package.json`. The content security policy lets the page load nothing
//! and call nothing beyond this server. When the API needs keys, the page asks for one (kept
//! for the browser tab only) and sends it in the configured header.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::state::AppState;

const PAGE: &str = include_str!("../assets/dashboard/index.html");

/// The page's script, whose `DOCUMENTS` block holds every GraphQL document the page sends.
const SCRIPT: &str = include_str!("../assets/dashboard/dashboard.js");

/// The dashboard's GraphQL documents by name: the JSON object between the `BEGIN DOCUMENTS`
/// and `END DOCUMENTS` lines of its script (empty if the block cannot be read, which a test
/// forbids).
pub fn documents() -> std::collections::BTreeMap<String, String> {
    documents_of(SCRIPT).unwrap_or_default()
}

fn documents_of(script: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let block = &script[script.find("// BEGIN DOCUMENTS")?..script.find("// END DOCUMENTS")?];
    serde_json::from_str(&block[block.find('{')?..=block.rfind('}')?]).ok()
}

/// Scripts and styles from this server only, requests to this server only, no frames.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";

/// The page's files, by the name they are served under.
const ASSETS: &crate::body::Assets = &[
    (
        "chart.umd.min.js",
        JS,
        include_bytes!("../assets/dashboard/dist/chart.umd.min.js"),
    ),
    (
        "dashboard.js",
        JS,
        include_bytes!("../assets/dashboard/dashboard.js"),
    ),
    (
        "dashboard.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/dashboard/dashboard.css"),
    ),
];

/// Registers `/dashboard` and its assets.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(page))
        .route("/dashboard/{file}", web::get().to(asset));
}

/// Where the page learns, when API keys are configured, which header carries one: the page
/// then asks for a key and sends it with every request.
const KEY_HEADER_SLOT: &str = "<!-- api-key-header -->";

async fn page(
    state: web::Data<AppState>,
    access: web::Data<crate::access::Access>,
) -> HttpResponse {
    if !state.dashboard {
        return HttpResponse::NotFound().finish();
    }
    let page = match access.key_header() {
        // A header name is a token: nothing in it needs escaping in an attribute.
        Some(name) => PAGE.replace(
            KEY_HEADER_SLOT,
            &format!(r#"<meta name="sixpotify-api-key-header" content="{name}" />"#),
        ),
        None => PAGE.to_owned(),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page)
}

async fn asset(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    if !state.dashboard {
        return HttpResponse::NotFound().finish();
    }
    // Revalidated within minutes: the script and style change with the binary.
    crate::body::embedded(ASSETS, &file, "public, max-age=300")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_s_documents_block_is_read() {
        let documents = super::documents();
        assert!(documents.len() >= 5, "{documents:?}");
        assert!(documents.values().all(|d| d.starts_with("query Dashboard")));
    }
}
