//! Preparing the database, the one place the API uses the loader library: connecting applies
//! pending migrations and fills the BI summaries of a database that predates them, and an empty
//! catalog is seeded with the sample bundled in the binary, so that the API shows data on
//! first run with no configuration. Everything else the API does only reads.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use sixpotify_loader::{AliasList, ArtistDirectory, CsvInput, ImportOptions, import, import_csv};
use tracing::info;

use crate::error::Result;
use crate::service;

/// A few thousand rows of the "30000 Spotify Songs" dataset, BTS and BLACKPINK among them
/// (built by `scripts/make-sample.py`).
pub const SAMPLE: &[u8] = include_bytes!("../data/sample.csv.gz");

/// What load runs of the sample record as their source.
pub const SAMPLE_SOURCE: &str = "bundled-sample";

/// The Korean (and a Japanese) names of the sample's K-pop acts, an alias list built by
/// `scripts/make-sample-aliases.py`.
pub const SAMPLE_ALIASES: &[u8] = include_bytes!("../data/sample-aliases.csv");

/// What load runs of the sample's aliases record as their source.
pub const SAMPLE_ALIASES_SOURCE: &str = "bundled-sample-aliases";

/// The bundled sample as loader input.
pub fn sample_input() -> CsvInput {
    CsvInput::Bytes {
        label: SAMPLE_SOURCE.into(),
        data: SAMPLE,
    }
}

/// Connects to `url` with statements waiting at most `acquire_timeout` for a connection,
/// applies pending migrations and fills the BI summaries if they have never been computed.
pub async fn connect(url: &str, acquire_timeout: Duration) -> Result<DatabaseConnection> {
    Ok(sixpotify_loader::db::connect_with(url, acquire_timeout).await?)
}

/// Loads the sample when the catalog holds no track, with its aliases; returns whether it
/// did. A catalog seeded with the sample before aliases existed gets the sample's aliases. Holds
/// the `seed` lock meanwhile.
pub async fn seed_if_empty(db: &DatabaseConnection) -> Result<bool> {
    // Replicas started together on an empty database seed it once: the others find it seeded.
    sixpotify_loader::lock::exclusively(db, "seed", || seed_unless_seeded(db)).await
}

async fn seed_unless_seeded(db: &DatabaseConnection) -> Result<bool> {
    if !service::catalog_is_empty(db).await? {
        if service::loaded_from(db, SAMPLE_SOURCE).await?
            && !service::loaded_from(db, SAMPLE_ALIASES_SOURCE).await?
        {
            seed_aliases(db).await?;
        }
        return Ok(false);
    }
    info!("the catalog is empty: loading the bundled sample");
    let report = import_csv(db, &sample_input(), &ImportOptions::default())
        .await?
        .into_result()?;
    info!(
        rows = report.counts.written,
        run_id = report.run_id,
        "bundled sample loaded"
    );
    seed_aliases(db).await?;
    Ok(true)
}

/// Loads the sample's aliases (the sample's artists must be in the catalog).
pub async fn seed_aliases(db: &DatabaseConnection) -> Result<()> {
    let list = AliasList {
        input: CsvInput::Bytes {
            label: SAMPLE_ALIASES_SOURCE.into(),
            data: SAMPLE_ALIASES,
        },
        directory: Arc::new(ArtistDirectory::load(db).await?),
    };
    let report = import(db, &list, &ImportOptions::default(), "import_aliases")
        .await?
        .into_result()?;
    info!(
        aliases = report.counts.written,
        run_id = report.run_id,
        "bundled sample's aliases loaded"
    );
    Ok(())
}
