//! The CSV import, end to end against a real database.

use std::io::Write as _;

use anyhow::{Result, ensure};
use entity::{RunStatus, load_run};
use sea_orm::{EntityTrait, QueryOrder};
use sixpotify_loader::{CsvInput, ImportOptions, LoaderError, import_csv};
use sixpotify_tests::synth::{Sample, TRACKS_PER_ALBUM, TRACKS_PER_ARTIST, write_csv};
use sixpotify_tests::{TestDb, backend_tests, fixture, import, import_sample, scalar, snapshot};

async fn the_quirks_fixture_loads_every_valid_row_and_rejects_bad_rows_with_line_and_reason(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let dir = tempfile::tempdir()?;
    let rejects = dir.path().join("rejects.csv");
    let opts = ImportOptions {
        rejects_path: Some(rejects.clone()),
        ..Default::default()
    };
    let report = import_csv(&conn, &CsvInput::File(fixture("quirks.csv")), &opts)
        .await?
        .into_result()?;

    assert_eq!(
        (
            report.counts.read,
            report.counts.written,
            report.counts.rejected
        ),
        (20, 14, 6)
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM tracks").await?,
        11,
        "repeated rows of a track merge into one"
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        11
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM artists").await?,
        8,
        "NA is no artist; one artist per name"
    );
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM albums").await?, 10);
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM genres").await?, 13);
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM track_genres WHERE track_id = '5KawlOMHjWeUjQtnuRs22c'"
        )
        .await?,
        5,
        "playlist genres and subgenres of every row of the track"
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM artist_genres WHERE artist_id IN (SELECT artist_id FROM track_artists WHERE track_id = '5KawlOMHjWeUjQtnuRs22c')").await?,
        5,
        "an artist gets the genres of its tracks"
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM tracks WHERE id = '69gRFGOWY9OMpFJgFol1u0' AND name IS NULL"
        )
        .await?,
        1,
        "NA track names are null"
    );
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM albums WHERE release_date_precision = 'year' AND release_year = 2008").await?, 1);
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM albums WHERE release_date_precision = 'month' AND release_year = 2010").await?, 1);
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM audio_features WHERE instrumentalness > 0.000132 AND instrumentalness < 0.000134").await?, 1, "scientific notation");
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM tracks WHERE name = '불타오르네 FIRE'"
        )
        .await?,
        1
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM tracks WHERE name = 'Hello, \"World\"'"
        )
        .await?,
        1,
        "quoted commas and doubled quotes"
    );

    let listed = std::fs::read_to_string(&rejects)?;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "line,column,value,reason");
    assert_eq!(lines.len(), 7, "{listed}");
    assert_eq!(lines[1], "15,danceability,1.5,out of range 0..=1");
    assert_eq!(lines[2], "16,tempo,fast,not a number");
    assert_eq!(lines[3], "17,track_id,,missing id");
    assert_eq!(lines[4], "18,,,\"expected 23 fields, found 4\"");
    assert!(
        lines[5].starts_with("19,track_album_release_date,2019-13-45,"),
        "{}",
        lines[5]
    );
    assert_eq!(lines[6], "20,track_popularity,abc,not a number");

    let run = load_run::Entity::find()
        .one(&conn)
        .await?
        .expect("a load run is recorded");
    assert_eq!(run.status, RunStatus::Succeeded);
    assert_eq!(
        (run.rows_read, run.rows_written, run.rows_rejected),
        (20, 14, 6)
    );
    assert!(run.finished_at.is_some() && run.error.is_none());
    assert!(run.source.ends_with("quirks.csv"));
    Ok(())
}

async fn re_importing_the_same_file_changes_no_catalog_data(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    import(&conn, fixture("quirks.csv")).await?;
    let first = snapshot(&conn).await?;
    ensure!(first.len() > 50, "the snapshot covers the catalog");
    import(&conn, fixture("quirks.csv")).await?;
    assert_eq!(snapshot(&conn).await?, first);
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM load_runs WHERE status = 'succeeded'"
        )
        .await?,
        2
    );
    Ok(())
}

async fn an_import_killed_midway_and_run_again_ends_as_one_clean_run(db: TestDb) -> Result<()> {
    let clean_db = db.twin().await?;
    let clean = clean_db.connect().await?;
    import_sample(&clean).await?;

    let conn = db.connect().await?;
    let input = sixpotify_api::seed::sample_input();
    let opts = ImportOptions {
        batch_size: 100,
        ..Default::default()
    };
    let killed = {
        let (conn, input, opts) = (conn.clone(), input.clone(), opts.clone());
        tokio::spawn(async move { import_csv(&conn, &input, &opts).await })
    };
    // Kill it once some batches have landed, mid-stream.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while scalar(&conn, "SELECT COUNT(*) FROM tracks").await? < 300 {
        ensure!(
            std::time::Instant::now() < deadline,
            "the import never got going"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    killed.abort();
    let _ = killed.await;
    let partial = scalar(&conn, "SELECT COUNT(*) FROM tracks").await?;
    let total = scalar(&clean, "SELECT COUNT(*) FROM tracks").await?;
    ensure!(
        partial < total,
        "the import was cut midway ({partial} of {total} tracks)"
    );
    let stuck = load_run::Entity::find()
        .one(&conn)
        .await?
        .expect("the killed run is recorded");
    assert_eq!(
        stuck.status,
        RunStatus::Running,
        "a killed run never claims success"
    );

    import_csv(&conn, &input, &opts).await?.into_result()?;
    assert_eq!(snapshot(&conn).await?, snapshot(&clean).await?);
    Ok(())
}

async fn strict_mode_fails_on_invalid_rows_and_writes_nothing(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let opts = ImportOptions {
        strict: true,
        ..Default::default()
    };
    let report = import_csv(&conn, &CsvInput::File(fixture("quirks.csv")), &opts).await?;
    assert_eq!(report.counts.rejected, 6);
    assert!(
        matches!(
            report.error,
            Some(LoaderError::StrictRejected { rejected: 6 })
        ),
        "{:?}",
        report.error
    );
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM tracks").await?, 0);
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM artists").await?, 0);
    let run = load_run::Entity::find()
        .one(&conn)
        .await?
        .expect("the failed run is recorded");
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(
        run.error.as_deref(),
        Some("strict mode: 6 invalid rows, nothing was written")
    );
    Ok(())
}

async fn strict_mode_loads_a_clean_file(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let opts = ImportOptions {
        strict: true,
        ..Default::default()
    };
    let input = sixpotify_api::seed::sample_input();
    let report = import_csv(&conn, &input, &opts).await?.into_result()?;
    assert_eq!(report.counts.rejected, 0);
    assert_eq!(report.counts.written, report.counts.read);
    assert!(scalar(&conn, "SELECT COUNT(*) FROM tracks").await? > 3000);
    Ok(())
}

async fn the_kaggle_layout_loads_several_artists_per_track_in_credit_order(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    let report = import_csv(
        &conn,
        &CsvInput::File(fixture("kaggle.csv")),
        &ImportOptions::default(),
    )
    .await?
    .into_result()?;
    assert_eq!(
        report.layout,
        Some(sixpotify_loader::csv_source::Layout::KaggleTracks)
    );
    assert_eq!(
        (
            report.counts.read,
            report.counts.written,
            report.counts.rejected
        ),
        (8, 7, 1)
    );
    assert_eq!(
        report.reject_reasons.keys().collect::<Vec<_>>(),
        vec!["time_signature: out of range 3..=7"]
    );
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM tracks").await?, 6);
    let zayn = entity::normalize::derived_artist_id("ZAYN");
    assert_eq!(
        scalar(&conn, &format!("SELECT position FROM track_artists WHERE track_id = '1iJBSr7s7jYXzM8EGcbK5b' AND artist_id = '{zayn}'")).await?,
        1
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM track_genres WHERE track_id = '1iJBSr7s7jYXzM8EGcbK5b'"
        )
        .await?,
        2
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM tracks WHERE explicit = TRUE").await?,
        1
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM audio_features WHERE time_signature IS NULL"
        )
        .await?,
        1,
        "a time signature of 0 is unknown"
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM albums WHERE release_date IS NULL"
        )
        .await?,
        6
    );
    Ok(())
}

async fn gzip_input_is_recognised_and_loads_like_plain_csv(db: TestDb) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let gz = dir.path().join("quirks.csv.gz");
    let mut enc =
        flate2::write::GzEncoder::new(std::fs::File::create(&gz)?, flate2::Compression::default());
    enc.write_all(&std::fs::read(fixture("quirks.csv"))?)?;
    enc.finish()?;
    let conn = db.connect().await?;
    import(&conn, gz).await?;

    let plain_db = db.twin().await?;
    let plain = plain_db.connect().await?;
    import(&plain, fixture("quirks.csv")).await?;
    assert_eq!(snapshot(&conn).await?, snapshot(&plain).await?);
    Ok(())
}

async fn an_unknown_header_is_a_clear_error_naming_the_missing_columns(db: TestDb) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("odd.csv");
    std::fs::write(&path, "id,title,singer\n1,a,b\n")?;
    let conn = db.connect().await?;
    let report = import_csv(&conn, &CsvInput::File(path), &ImportOptions::default()).await?;
    let err = report.error.expect("the import fails");
    let msg = err.to_string();
    assert!(msg.starts_with("unrecognised CSV header"), "{msg}");
    assert!(
        msg.contains("track_artist") && msg.contains("track_genre"),
        "{msg}"
    );
    let runs = load_run::Entity::find()
        .order_by_desc(load_run::Column::Id)
        .all(&conn)
        .await?;
    assert_eq!(runs[0].status, RunStatus::Failed);
    assert!(
        runs[0]
            .error
            .as_deref()
            .unwrap_or("")
            .starts_with("unrecognised CSV header")
    );
    Ok(())
}

async fn a_missing_file_is_a_clear_error_and_a_failed_run(db: TestDb) -> Result<()> {
    let conn = db.connect().await?;
    let report = import_csv(
        &conn,
        &CsvInput::File("/nonexistent/songs.csv".into()),
        &ImportOptions::default(),
    )
    .await?;
    let msg = entity::telemetry::error_chain(report.error.as_ref().expect("fails"));
    assert!(
        msg.starts_with("failed to open /nonexistent/songs.csv: "),
        "{msg}"
    );
    let run = load_run::Entity::find()
        .one(&conn)
        .await?
        .expect("recorded");
    assert_eq!(run.status, RunStatus::Failed);
    Ok(())
}

async fn a_synthetic_catalog_imports_whole_with_the_shape_it_promises(db: TestDb) -> Result<()> {
    let sample = Sample::read(flate2::read::MultiGzDecoder::new(
        sixpotify_api::seed::SAMPLE,
    ))?;
    let write = |n, seed| -> anyhow::Result<Vec<u8>> {
        Ok(write_csv(Vec::new(), sample.generate(n, seed))?.1)
    };
    let csv = write(2_000, 7)?;
    assert_eq!(
        csv,
        write(2_000, 7)?,
        "the same seed gives the same catalog"
    );
    assert_ne!(csv, write(2_000, 8)?);

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("synthetic.csv");
    std::fs::write(&path, &csv)?;
    let conn = db.connect().await?;
    let report = import_csv(&conn, &CsvInput::File(path), &ImportOptions::default())
        .await?
        .into_result()?;
    assert_eq!(
        (
            report.counts.read,
            report.counts.written,
            report.counts.rejected
        ),
        (2_000, 2_000, 0)
    );
    assert_eq!(scalar(&conn, "SELECT COUNT(*) FROM tracks").await?, 2_000);
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM audio_features").await?,
        2_000
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM artists").await?,
        (2_000 / TRACKS_PER_ARTIST) as i64
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM albums").await?,
        (2_000 / TRACKS_PER_ALBUM) as i64
    );
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM (SELECT t.album_id FROM tracks t JOIN track_artists ta ON ta.track_id = t.id GROUP BY t.album_id HAVING COUNT(DISTINCT ta.artist_id) > 1) x").await?,
        0,
        "an album belongs to one artist"
    );
    assert_eq!(
        scalar(
            &conn,
            "SELECT COUNT(*) FROM artists WHERE id NOT IN (SELECT artist_id FROM artist_genres)"
        )
        .await?,
        0,
        "every artist has the genres of its tracks"
    );
    // Features stay within the real sample's ranges and keep its spread of genres.
    let genres = scalar(&conn, "SELECT COUNT(DISTINCT genre_id) FROM track_genres").await?;
    assert!(genres >= 6, "{genres} genres");
    assert_eq!(
        scalar(&conn, "SELECT COUNT(*) FROM audio_features WHERE danceability < 0 OR danceability > 1 OR tempo <= 0 OR loudness > 5").await?,
        0
    );
    Ok(())
}

/// A file in the shared dataset's layout: one row per `(track id, playlist id)`, each a copy of
/// the Korean fixture's first row with those two ids.
fn playlist_rows(rows: &[(&str, &str)]) -> Result<tempfile::NamedTempFile> {
    let korean = std::fs::read_to_string(fixture("korean.csv"))?;
    let mut lines = korean.lines();
    let header = lines.next().unwrap_or_default();
    let template: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let columns: Vec<&str> = header.split(',').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name);
    let (Some(track), Some(playlist)) = (at("track_id"), at("playlist_id")) else {
        anyhow::bail!("the Korean fixture lacks track_id or playlist_id");
    };
    let mut file = tempfile::NamedTempFile::new()?;
    writeln!(file, "{header}")?;
    for (track_id, playlist_id) in rows {
        let mut row = template.clone();
        row[track] = track_id;
        row[playlist] = playlist_id;
        writeln!(file, "{}", row.join(","))?;
    }
    Ok(file)
}

async fn playlist_tracks(db: &sea_orm::DatabaseConnection, id: &str) -> Result<Vec<String>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    Ok(entity::playlist_track::Entity::find()
        .filter(entity::playlist_track::Column::PlaylistId.eq(id))
        .order_by_asc(entity::playlist_track::Column::Position)
        .select_only()
        .column(entity::playlist_track::Column::TrackId)
        .into_tuple()
        .all(db)
        .await?)
}

async fn playlists_keep_their_tracks_in_file_order_and_a_reload_replaces_the_list(
    db: TestDb,
) -> Result<()> {
    let conn = db.connect().await?;
    import_sample(&conn).await?;
    let gaps = scalar(
        &conn,
        "SELECT COUNT(*) FROM (SELECT playlist_id FROM playlist_tracks GROUP BY playlist_id \
         HAVING MIN(position) <> 1 OR MAX(position) <> COUNT(*)) g",
    )
    .await?;
    ensure!(gaps == 0, "{gaps} playlists with gaps in their positions");
    ensure!(scalar(&conn, "SELECT COUNT(*) FROM playlists WHERE source = 'csv'").await? > 10);
    ensure!(
        scalar(&conn, "SELECT COUNT(*) FROM playlists WHERE name IS NULL").await? == 0,
        "every playlist of the sample has its name"
    );

    let (a, b, c) = (
        "aaaaaaaaaaaaaaaaaaaaa1",
        "aaaaaaaaaaaaaaaaaaaaa2",
        "aaaaaaaaaaaaaaaaaaaaa3",
    );
    let first = playlist_rows(&[(a, "pl1"), (b, "pl1"), (c, "pl2"), (c, "pl1")])?;
    import(&conn, first.path().to_owned()).await?;
    ensure!(playlist_tracks(&conn, "pl1").await? == [a, b, c]);
    ensure!(playlist_tracks(&conn, "pl2").await? == [c]);

    let again = playlist_rows(&[(c, "pl1"), (a, "pl1")])?;
    import(&conn, again.path().to_owned()).await?;
    ensure!(
        playlist_tracks(&conn, "pl1").await? == [c, a],
        "a reload replaces the track list"
    );
    ensure!(
        playlist_tracks(&conn, "pl2").await? == [c],
        "a playlist the file does not name keeps its list"
    );
    Ok(())
}

backend_tests!(
    the_quirks_fixture_loads_every_valid_row_and_rejects_bad_rows_with_line_and_reason,
    playlists_keep_their_tracks_in_file_order_and_a_reload_replaces_the_list,
    re_importing_the_same_file_changes_no_catalog_data,
    an_import_killed_midway_and_run_again_ends_as_one_clean_run,
    strict_mode_fails_on_invalid_rows_and_writes_nothing,
    strict_mode_loads_a_clean_file,
    the_kaggle_layout_loads_several_artists_per_track_in_credit_order,
    gzip_input_is_recognised_and_loads_like_plain_csv,
    an_unknown_header_is_a_clear_error_naming_the_missing_columns,
    a_missing_file_is_a_clear_error_and_a_failed_run,
    a_synthetic_catalog_imports_whole_with_the_shape_it_promises
);
