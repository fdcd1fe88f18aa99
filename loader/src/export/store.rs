//! Where an export goes and how its files are published there: a local directory (a rename
//! into place, atomic on one file system) or an S3 bucket and prefix (one upload per file, an
//! object appearing only once it is whole: a single `PUT`, or a multipart upload completed at
//! the end and aborted on failure). The command line takes the credentials from the standard
//! AWS variables ([`S3Settings::from_env`]); they are never logged.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusty_s3::actions::{CreateMultipartUpload, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use tokio::io::AsyncReadExt as _;

use crate::error::{LoaderError, Result};
use crate::web_api::Secret;

/// Files above this size are uploaded in parts of this size, unless told otherwise (S3's
/// smallest part is 5 MiB, its most parts 10,000).
pub const PART_BYTES: usize = 16 * 1024 * 1024;

/// How long a signed request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(3600);

/// The destination of an export.
#[derive(Debug)]
pub enum Target {
    /// A local directory.
    Dir(PathBuf),
    /// A bucket and a key prefix (without trailing slash; empty for the bucket's root).
    S3(Box<S3Target>),
}

/// Whether `out` names an S3 bucket rather than a directory.
pub fn is_s3(out: &str) -> bool {
    out.starts_with("s3://")
}

impl Target {
    /// `s3://bucket/prefix`, reached with `s3`, or a directory.
    pub fn parse(out: &str, s3: Option<&S3Settings>) -> Result<Self> {
        match out.strip_prefix("s3://") {
            Some(rest) => {
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(LoaderError::Export(format!("no bucket in {out}")));
                }
                let settings = s3.ok_or_else(|| {
                    LoaderError::Export(format!("{out} needs S3 settings (AWS_ACCESS_KEY_ID …)"))
                })?;
                let target = S3Target::new(settings, bucket, prefix.trim_matches('/'))?;
                Ok(Self::S3(Box::new(target)))
            }
            None => Ok(Self::Dir(PathBuf::from(out))),
        }
    }

    /// Where files are written before they are published: beside the destination for a
    /// directory (so that publishing is a rename), else under the system's temporary directory.
    /// Its name starts with `_`, which query engines skip.
    pub fn staging(&self, run_id: i64) -> Result<tempfile::TempDir> {
        let prefix = format!("_staging-{run_id}-");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix);
        let made = match self {
            Self::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| LoaderError::File {
                    action: "create",
                    path: dir.clone(),
                    source: e,
                })?;
                builder.tempdir_in(dir)
            }
            Self::S3(_) => builder.tempdir(),
        };
        made.map_err(|e| LoaderError::File {
            action: "create a staging directory for",
            path: match self {
                Self::Dir(dir) => dir.clone(),
                Self::S3(_) => std::env::temp_dir(),
            },
            source: e,
        })
    }

    /// Publishes the staged file `file` as `key` (a relative path with `/`); what it replaced
    /// is kept aside until [`Target::settle`] or [`Target::undo`].
    pub async fn publish(
        &self,
        http: &reqwest::Client,
        file: &Path,
        key: &str,
        run_id: i64,
    ) -> Result<Published> {
        match self {
            Self::Dir(dir) => {
                let to = dir.join(key);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| LoaderError::File {
                        action: "create",
                        path: parent.to_owned(),
                        source: e,
                    })?;
                }
                let previous = if to.exists() {
                    let aside = aside(&to, run_id);
                    rename(&to, &aside, "set aside")?;
                    Some(aside)
                } else {
                    None
                };
                if let Err(e) = rename(file, &to, "publish") {
                    if let Some(aside) = &previous {
                        rename(aside, &to, "restore").ok();
                    }
                    return Err(e);
                }
                Ok(Published {
                    key: key.to_owned(),
                    previous,
                    existed: false,
                })
            }
            Self::S3(s3) => {
                let existed = s3.exists(http, key).await?;
                s3.upload(http, file, key).await?;
                Ok(Published {
                    key: key.to_owned(),
                    previous: None,
                    existed,
                })
            }
        }
    }

    /// Drops what publishing set aside, once every file is published.
    pub fn settle(&self, published: &[Published]) {
        for p in published {
            if let Some(aside) = &p.previous
                && let Err(e) = std::fs::remove_file(aside)
            {
                tracing::warn!(path = %aside.display(), error = %e, "could not remove a replaced file");
            }
        }
    }

    /// Takes back what a failed export published: in a directory, every file returns to what it
    /// was; on S3, the objects it created are deleted (one it replaced keeps the new version,
    /// whole).
    pub async fn undo(&self, http: &reqwest::Client, published: &[Published]) {
        for p in published.iter().rev() {
            let undone = match self {
                Self::Dir(dir) => {
                    let to = dir.join(&p.key);
                    match &p.previous {
                        Some(aside) => rename(aside, &to, "restore"),
                        None => std::fs::remove_file(&to).map_err(|e| LoaderError::File {
                            action: "remove",
                            path: to,
                            source: e,
                        }),
                    }
                }
                Self::S3(s3) if !p.existed => s3.delete(http, &p.key).await,
                Self::S3(_) => Ok(()),
            };
            if let Err(e) = undone {
                tracing::warn!(key = %p.key, error = %e, "could not take back a published file");
            }
        }
    }
}

/// A file an export published, and what it replaced.
#[derive(Debug)]
pub struct Published {
    key: String,
    /// In a directory: the file it replaced, set aside under a name engines skip.
    previous: Option<PathBuf>,
    /// On S3: whether an object was there before.
    existed: bool,
}

/// Where a replaced file waits: beside it, under a name starting with `.` and not ending in
/// `.parquet`, which engines skip.
fn aside(path: &Path, run_id: i64) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.replaced-by-{run_id}"))
}

fn rename(from: &Path, to: &Path, action: &'static str) -> Result<()> {
    std::fs::rename(from, to).map_err(|e| LoaderError::File {
        action,
        path: to.to_owned(),
        source: e,
    })
}

/// How to reach S3 or an S3-compatible store. Its `Debug` shows neither the key id nor the
/// secret.
#[derive(Clone)]
pub struct S3Settings {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    pub region: String,
    /// An S3-compatible store's address, addressed path-style; AWS's regional endpoint,
    /// virtual-host style, when `None`.
    pub endpoint: Option<String>,
    /// The size of each part of a multipart upload; files below it go in one `PUT`.
    pub part_bytes: usize,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("part_bytes", &self.part_bytes)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl S3Settings {
    /// The settings from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`; `us-east-1` when neither is set) and the endpoint
    /// override `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`).
    pub fn from_env() -> Result<Self> {
        let missing = |v: &str| LoaderError::Export(format!("{v} is not set"));
        Ok(Self {
            access_key_id: env("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?,
            secret_access_key: Secret::new(
                env("AWS_SECRET_ACCESS_KEY").ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?,
            ),
            session_token: env("AWS_SESSION_TOKEN").map(Secret::new),
            region: env("AWS_REGION")
                .or_else(|| env("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_owned()),
            endpoint: env("AWS_ENDPOINT_URL_S3").or_else(|| env("AWS_ENDPOINT_URL")),
            part_bytes: PART_BYTES,
        })
    }
}

/// An S3 bucket, prefix and credentials.
pub struct S3Target {
    bucket: Bucket,
    prefix: String,
    settings: S3Settings,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Target")
            .field("bucket", &self.bucket.name())
            .field("endpoint", &self.bucket.base_url().as_str())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl S3Target {
    fn new(settings: &S3Settings, bucket: &str, prefix: &str) -> Result<Self> {
        let (endpoint, style) = match &settings.endpoint {
            Some(url) => (url.clone(), UrlStyle::Path),
            None => (
                format!("https://s3.{}.amazonaws.com", settings.region),
                UrlStyle::VirtualHost,
            ),
        };
        let url = endpoint
            .parse()
            .map_err(|e| LoaderError::Export(format!("the S3 endpoint {endpoint}: {e}")))?;
        let bucket = Bucket::new(url, style, bucket.to_owned(), settings.region.clone())
            .map_err(|e| LoaderError::Export(format!("the bucket {bucket}: {e}")))?;
        Ok(Self {
            bucket,
            prefix: prefix.to_owned(),
            settings: settings.clone(),
        })
    }

    fn credentials(&self) -> Credentials {
        let s = &self.settings;
        match &s.session_token {
            Some(token) => Credentials::new_with_token(
                s.access_key_id.clone(),
                s.secret_access_key.expose(),
                token.expose(),
            ),
            None => Credentials::new(s.access_key_id.clone(), s.secret_access_key.expose()),
        }
    }

    fn object(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    /// Whether an object is at `key` under the prefix.
    async fn exists(&self, http: &reqwest::Client, key: &str) -> Result<bool> {
        let object = self.object(key);
        let url = self
            .bucket
            .head_object(Some(&self.credentials()), &object)
            .sign(SIGNED_FOR);
        let answer = http
            .head(url)
            .send()
            .await
            .map_err(|e| s3_error("HEAD", &object, e.without_url()))?;
        match answer.status() {
            s if s.is_success() => Ok(true),
            reqwest::StatusCode::NOT_FOUND => Ok(false),
            s => Err(s3_error("HEAD", &object, format!("HTTP {s}"))),
        }
    }

    /// Deletes the object at `key` under the prefix.
    async fn delete(&self, http: &reqwest::Client, key: &str) -> Result<()> {
        let object = self.object(key);
        let url = self
            .bucket
            .delete_object(Some(&self.credentials()), &object)
            .sign(SIGNED_FOR);
        send(http.delete(url), "DELETE", &object).await.map(drop)
    }

    /// Uploads `file` as `key` under the prefix: one `PUT` when it fits in one part, else a
    /// multipart upload, aborted if any part fails.
    async fn upload(&self, http: &reqwest::Client, file: &Path, key: &str) -> Result<()> {
        let object = self.object(key);
        let mut f = tokio::fs::File::open(file)
            .await
            .map_err(|e| LoaderError::File {
                action: "open",
                path: file.to_owned(),
                source: e,
            })?;
        let part_bytes = self.settings.part_bytes.max(1);
        let first = read_part(&mut f, file, part_bytes).await?;
        if first.len() < part_bytes {
            let url = self
                .bucket
                .put_object(Some(&self.credentials()), &object)
                .sign(SIGNED_FOR);
            return send(http.put(url).body(first), "PUT", &object)
                .await
                .map(drop);
        }
        let url = self
            .bucket
            .create_multipart_upload(Some(&self.credentials()), &object)
            .sign(SIGNED_FOR);
        let body = send(http.post(url), "CreateMultipartUpload", &object)
            .await?
            .text()
            .await
            .map_err(|e| s3_error("CreateMultipartUpload", &object, e.without_url()))?;
        let created = CreateMultipartUpload::parse_response(&body)
            .map_err(|e| s3_error("CreateMultipartUpload", &object, e))?;
        let upload_id = created.upload_id().to_owned();
        match self
            .upload_parts(http, &mut f, file, &object, &upload_id, first)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => {
                let url = self
                    .bucket
                    .abort_multipart_upload(Some(&self.credentials()), &object, &upload_id)
                    .sign(SIGNED_FOR);
                if let Err(abort) = send(http.delete(url), "AbortMultipartUpload", &object).await {
                    tracing::warn!(object, error = %abort, "could not abort the multipart upload");
                }
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        http: &reqwest::Client,
        f: &mut tokio::fs::File,
        file: &Path,
        object: &str,
        upload_id: &str,
        first: Vec<u8>,
    ) -> Result<()> {
        let mut etags = Vec::new();
        let mut part = first;
        while !part.is_empty() {
            let number = u16::try_from(etags.len() + 1)
                .map_err(|_| LoaderError::Export(format!("{object} needs too many parts")))?;
            let url = self
                .bucket
                .upload_part(Some(&self.credentials()), object, number, upload_id)
                .sign(SIGNED_FOR);
            let answer = send(http.put(url).body(part), "UploadPart", object).await?;
            let etag = answer
                .headers()
                .get(reqwest::header::ETAG)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| s3_error("UploadPart", object, "no ETag in the answer"))?
                .to_owned();
            etags.push(etag);
            part = read_part(f, file, self.settings.part_bytes.max(1)).await?;
        }
        let credentials = self.credentials();
        let complete = self.bucket.complete_multipart_upload(
            Some(&credentials),
            object,
            upload_id,
            etags.iter().map(String::as_str),
        );
        let url = complete.sign(SIGNED_FOR);
        let answer = send(
            http.post(url).body(complete.body()),
            "CompleteMultipartUpload",
            object,
        )
        .await?;
        // S3 can answer 200 with an error in the body once the upload has started.
        let body = answer
            .text()
            .await
            .map_err(|e| s3_error("CompleteMultipartUpload", object, e.without_url()))?;
        if body.contains("<Error>") {
            return Err(s3_error(
                "CompleteMultipartUpload",
                object,
                error_code(&body),
            ));
        }
        Ok(())
    }
}

/// Up to one part of `f`; empty at its end.
async fn read_part(f: &mut tokio::fs::File, path: &Path, part_bytes: usize) -> Result<Vec<u8>> {
    let mut part = Vec::with_capacity(part_bytes);
    (&mut *f)
        .take(part_bytes as u64)
        .read_to_end(&mut part)
        .await
        .map_err(|e| LoaderError::File {
            action: "read",
            path: path.to_owned(),
            source: e,
        })?;
    Ok(part)
}

fn s3_error(action: &'static str, key: &str, reason: impl std::fmt::Display) -> LoaderError {
    LoaderError::S3 {
        action,
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

/// Sends a signed request; an answer other than 2xx is an error with its status and S3's code.
async fn send(
    request: reqwest::RequestBuilder,
    action: &'static str,
    key: &str,
) -> Result<reqwest::Response> {
    let answer = request
        .send()
        .await
        .map_err(|e| s3_error(action, key, e.without_url()))?;
    if answer.status().is_success() {
        return Ok(answer);
    }
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    Err(s3_error(
        action,
        key,
        format!("HTTP {status} {}", error_code(&body)),
    ))
}

/// The `<Code>` of an S3 error document; never the rest, which may echo the request.
fn error_code(body: &str) -> &str {
    body.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map_or("", |(code, _)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_or_an_s3_url_names_the_target() {
        assert!(matches!(
            Target::parse("/tmp/lake", None),
            Ok(Target::Dir(_))
        ));
        assert!(matches!(
            Target::parse("s3:///prefix", None),
            Err(LoaderError::Export(_))
        ));
        assert!(matches!(
            Target::parse("s3://bucket/prefix", None),
            Err(LoaderError::Export(_))
        ));
    }
}
