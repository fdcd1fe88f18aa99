//! Bodies of requests and responses the handlers share: reading a request body within its
//! limit, and files built into the binary.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{self, Bytes};

/// A request's whole body, at most `limit` bytes; otherwise the status to answer (`400` for a
/// body that could not be read, `413` for one over the limit) and why.
pub(crate) async fn read_body(
    payload: web::Payload,
    limit: usize,
) -> Result<Bytes, (StatusCode, String)> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(e)) => Err((
            StatusCode::BAD_REQUEST,
            format!("the request body could not be read: {e}"),
        )),
        Err(_) => Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the {limit} bytes this server reads"),
        )),
    }
}

/// Files built into the binary: name served under, content type, bytes.
pub(crate) type Assets = [(&'static str, &'static str, &'static [u8])];

/// The file of `assets` named `file`, with its type and `cache_control`; `404` for any other.
pub(crate) fn embedded(assets: &Assets, file: &str, cache_control: &'static str) -> HttpResponse {
    match assets.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}
