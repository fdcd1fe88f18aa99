//! Recommendations through the API over the bundled sample, on SQLite and MariaDB.

use anyhow::Result;
use sea_orm::{ConnectionTrait as _, Statement};
use sixpotify_tests::{TestApp, backend_tests, import_sample};

const BTS: &str = r#"searchArtists(query: "BTS", first: 1)"#;

backend_tests! {
    async fn related_artists_are_nearest_first_without_the_artist_and_deterministic(db: TestDb) -> Result<()> {
        import_sample(&db.connect().await?).await?;
        let app = TestApp::spawn(&db).await?;
        let query = format!(
            "{{ {BTS} {{ id name relatedArtists(first: 5) {{ artist {{ id name }} distance similarity }} }} }}"
        );
        let data = app.data(&query).await?;
        let bts = &data["searchArtists"][0];
        assert_eq!(bts["name"], "BTS");
        let related = bts["relatedArtists"].as_array().cloned().unwrap_or_default();
        assert_eq!(related.len(), 5, "{related:?}");
        let distances: Vec<f64> = related.iter().filter_map(|r| r["distance"].as_f64()).collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
        for r in &related {
            assert_ne!(r["artist"]["id"], bts["id"]);
            let s = r["similarity"].as_f64().unwrap_or(-1.0);
            let d = r["distance"].as_f64().unwrap_or(-1.0);
            assert!((0.0..=1.0).contains(&s) && (s - 1.0 / (1.0 + d)).abs() < 1e-9, "{r}");
        }
        assert_eq!(app.data(&query).await?, data, "the same answer twice");
        Ok(())
    }

    async fn an_audio_profile_is_the_mean_of_the_artists_tracks(db: TestDb) -> Result<()> {
        let conn = db.connect().await?;
        import_sample(&conn).await?;
        let app = TestApp::spawn(&db).await?;
        let data = app
            .data(&format!("{{ {BTS} {{ id audioProfile {{ energy tempo trackCount }} }} }}"))
            .await?;
        let bts = &data["searchArtists"][0];
        let id = bts["id"].as_str().unwrap_or_default();
        let tracks = sixpotify_tests::scalar(
            &conn,
            &format!("SELECT COUNT(*) FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id WHERE ta.artist_id = '{id}'"),
        )
        .await?;
        assert_eq!(bts["audioProfile"]["trackCount"], tracks);
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                format!("SELECT f.energy FROM track_artists ta JOIN audio_features f ON f.track_id = ta.track_id WHERE ta.artist_id = '{id}'"),
            ))
            .await?;
        let energies: Vec<f64> = rows
            .iter()
            .map(|r| r.try_get_by_index::<f64>(0))
            .collect::<Result<_, _>>()?;
        let mean = energies.iter().sum::<f64>() / energies.len() as f64;
        let energy = bts["audioProfile"]["energy"].as_f64().unwrap_or(-1.0);
        assert!((energy - mean).abs() < 1e-5, "{energy} against {mean}");
        Ok(())
    }

    async fn related_artists_refuse_a_first_out_of_range(db: TestDb) -> Result<()> {
        import_sample(&db.connect().await?).await?;
        let app = TestApp::spawn(&db).await?;
        for first in [0, -1, 101] {
            let body = app
                .query(&format!("{{ {BTS} {{ relatedArtists(first: {first}) {{ distance }} }} }}"))
                .await?;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
            assert!(body["errors"][0]["message"].as_str().unwrap_or_default().contains("first"));
        }
        Ok(())
    }
}
