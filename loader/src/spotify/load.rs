//! `sixpotify-loader spotify`: loads artists, their discographies, track details, top tracks,
//! audio features and, optionally, related artists from the Spotify Web API into the catalog.
//!
//! Seeds (names or ids) are taken a batch of artists at a time. For each batch the fetcher
//! resolves names by search, then reads discographies, albums with their tracks, track details,
//! top tracks and audio features, every endpoint that takes several ids asked in batches, all
//! of it as many requests at once as the client allows. The batch then goes to the upsert
//! writer, which commits it in one transaction while the fetcher reads the next batch, so that
//! requests keep flowing at the client's cap.
//!
//! An endpoint that is not available to the app is recorded and left out (or replaced by its
//! one-id sibling); an item in an unexpected shape is skipped and counted; an artist whose
//! discography could not be read completely is written with what was read but not marked
//! loaded, so that the next run tries it again. A stop request is honoured between batches.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::artist;
use futures_util::{StreamExt as _, stream};
use sea_orm::sea_query::ExprTrait as _;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use tokio::sync::mpsc;
use tracing::{Instrument as _, info, warn};

use super::client::SpotifyClient;
use super::model::{Album, AlbumRef, Artist, ArtistRef, AudioFeatures, Track};
use crate::csv_source::ReleaseDate;
use crate::error::{LoaderError, Result};
use crate::load_run::{self, Ending, RunCounts};
use crate::shutdown::Shutdown;
use crate::writer::{AlbumValues, ArtistValues, Batch, TrackValues};
use entity::normalize::search_key;
use entity::run_summary::{Ambiguous, RunSummary, Unmatched};
use entity::telemetry::error_chain;

/// What `load_runs.source` says for a Spotify run.
pub const SOURCE: &str = "spotify";

/// Where to start: an artist by name (resolved by search) or by Spotify id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seed {
    Name(String),
    Id(String),
}

impl Seed {
    /// Seeds from an artists file: one name per line; blank lines and surrounding white space
    /// are ignored, a byte-order mark too.
    pub fn from_lines(text: &str) -> Vec<Self> {
        text.trim_start_matches('\u{feff}')
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| Self::Name(l.to_owned()))
            .collect()
    }
}

/// How a Spotify load behaves.
#[derive(Clone, Debug)]
pub struct SpotifyLoadOptions {
    pub seeds: Vec<Seed>,
    /// The market of top tracks, ISO 3166-1 alpha-2.
    pub market: String,
    /// Albums a page of an artist's discography, 1 to 10.
    pub album_page_size: u32,
    /// Tracks a page of an album's track list, 1 to 50.
    pub track_page_size: u32,
    /// Search results considered when resolving a name, 1 to 10.
    pub search_limit: u32,
    /// Related artists of each seed loaded too (one level deep); 0 for none.
    pub follow_related: usize,
    /// Skip artists loaded from Spotify more recently than this.
    pub max_age: Option<Duration>,
    /// Artists fetched and written together, in one transaction.
    pub artists_per_batch: usize,
}

impl SpotifyLoadOptions {
    /// Defaults for the given seeds.
    pub fn new(seeds: Vec<Seed>) -> Self {
        Self {
            seeds,
            market: "KR".into(),
            album_page_size: 10,
            track_page_size: 50,
            search_limit: 10,
            follow_related: 0,
            max_age: None,
            artists_per_batch: 20,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(LoaderError::SpotifyConfig(m));
        if self.market.len() != 2 || !self.market.bytes().all(|b| b.is_ascii_uppercase()) {
            return bad(format!(
                "the market must be an ISO 3166-1 alpha-2 code such as KR, not {:?}",
                self.market
            ));
        }
        if !(1..=10).contains(&self.album_page_size) {
            return bad("the album page size must be 1 to 10".into());
        }
        if !(1..=50).contains(&self.track_page_size) {
            return bad("the track page size must be 1 to 50".into());
        }
        if !(1..=10).contains(&self.search_limit) {
            return bad("the search limit must be 1 to 10".into());
        }
        if self.artists_per_batch == 0 {
            return bad("a batch needs at least one artist".into());
        }
        Ok(())
    }
}

/// What a Spotify run did.
#[derive(Debug)]
pub struct SpotifyReport {
    pub run_id: i64,
    pub summary: RunSummary,
    pub counts: RunCounts,
    pub elapsed: Duration,
    /// Set when the run failed after it was recorded.
    pub error: Option<LoaderError>,
}

impl SpotifyReport {
    /// One line for the operator.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let secs = self.elapsed.as_secs_f64();
        let outcome = match (&self.error, s.stopped_early) {
            (Some(e), _) => format!("FAILED: {}", error_chain(e)),
            (None, true) => "stopped on request".into(),
            (None, false) => "succeeded".into(),
        };
        format!(
            "spotify run {} {outcome}: {} artists loaded, {} fresh, {} unmatched, {} ambiguous; \
             {} albums, {} tracks, {} audio features; {} requests in {secs:.1} s ({:.1}/s), {} items skipped",
            self.run_id,
            s.artists_loaded,
            s.artists_fresh,
            s.unmatched.len(),
            s.ambiguous.len(),
            s.albums,
            s.tracks,
            s.audio_features,
            s.requests(),
            s.requests() as f64 / secs.max(1e-9),
            s.skipped_items(),
        )
    }
}

/// A seed on its way: as given, or already an artist object (a related artist).
#[derive(Clone, Debug)]
enum Pending {
    Seed(Seed),
    Artist(Box<Artist>),
}

/// One batch as read from Spotify, before it becomes rows.
#[derive(Default)]
struct Fetched {
    artists: Vec<Artist>,
    /// Artists whose discography is incomplete, and why.
    incomplete: BTreeMap<String, String>,
    albums: Vec<Album>,
    top_tracks: Vec<(String, Vec<Track>)>,
    tracks: Vec<Track>,
    features: Vec<AudioFeatures>,
    related: Vec<Artist>,
}

/// What the fetcher keeps across batches.
struct Run<'a> {
    db: &'a DatabaseConnection,
    client: &'a SpotifyClient,
    opts: &'a SpotifyLoadOptions,
    summary: RunSummary,
    /// Artists loaded in this run, so that none is loaded twice.
    seen: BTreeSet<String>,
    /// Related artists queued, so that none is queued twice.
    queued: BTreeSet<String>,
    fetched_tracks: u64,
}

/// Runs one Spotify load: records it in `load_runs`, loads every seed (and related artists)
/// batch by batch, and records how it went. Errors before the run is recorded are returned;
/// later ones are in the report.
pub async fn load_spotify(
    db: &DatabaseConnection,
    client: &SpotifyClient,
    opts: &SpotifyLoadOptions,
    shutdown: &Shutdown,
) -> Result<SpotifyReport> {
    opts.validate()?;
    let started = Instant::now();
    let run_id = load_run::start(db, SOURCE, Utc::now()).await?;
    let span = tracing::info_span!("spotify_run", run_id);
    let mut run = Run {
        db,
        client,
        opts,
        summary: RunSummary {
            seeds: opts.seeds.len() as u64,
            ..Default::default()
        },
        seen: BTreeSet::new(),
        queued: BTreeSet::new(),
        fetched_tracks: 0,
    };
    let (tx, rx) = mpsc::channel::<Batch>(1);
    let (fetched, written) = tokio::join!(
        run.fetch_all(tx, shutdown).instrument(span.clone()),
        write_all(db, rx).instrument(span.clone()),
    );
    let (written, write_error) = written;
    let error = match (fetched, write_error) {
        (_, Some(e)) => Some(e),
        (Err(e), None) => Some(e),
        (Ok(()), None) => None,
    };
    let mut summary = run.summary;
    summary.endpoints = client.stats();
    summary.skipped = client.skipped();
    summary.rate_limit_wait_ms = u64::try_from(client.rate_limit_wait().as_millis()).unwrap_or(0);
    let counts = RunCounts {
        read: run.fetched_tracks,
        written,
        rejected: summary.skipped_items(),
    };
    let ending = Ending {
        counts,
        error: None,
        cancelled: summary.stopped_early,
        summary: serde_json::to_string(&summary).ok(),
    };
    let error = load_run::conclude(db, run_id, ending, error).await;
    let report = SpotifyReport {
        run_id,
        summary,
        counts,
        elapsed: started.elapsed(),
        error,
    };
    match &report.error {
        None => info!(
            run_id,
            requests = report.summary.requests(),
            tracks = written,
            elapsed_s = report.elapsed.as_secs_f64(),
            "spotify run finished"
        ),
        Some(e) => warn!(run_id, error = %error_chain(e), "spotify run failed"),
    }
    Ok(report)
}

/// Writes batches as they come; returns the tracks written and the error that stopped it.
async fn write_all(
    db: &DatabaseConnection,
    mut rx: mpsc::Receiver<Batch>,
) -> (u64, Option<LoaderError>) {
    let mut written = 0;
    while let Some(batch) = rx.recv().await {
        if let Err(e) = batch.write(db, Utc::now()).await {
            return (written, Some(e));
        }
        written += batch.track_count() as u64;
    }
    (written, None)
}

/// How a per-artist read ended when it did not succeed.
enum Gap {
    /// Worth recording and going on without.
    Missing(String),
    /// Stops the run.
    Fatal(LoaderError),
}

/// Sorts an error of a read the run can do without from one that must stop it.
fn gap(client: &SpotifyClient, e: LoaderError, instead: &str) -> Gap {
    match e {
        LoaderError::SpotifyUnavailable { endpoint, status } => {
            client.warn_unavailable(&endpoint, status, instead);
            Gap::Missing(format!("{endpoint} is not available to this app"))
        }
        LoaderError::SpotifyNotFound { .. } => Gap::Missing(e.to_string()),
        LoaderError::SpotifyMalformed {
            ref endpoint,
            ref item,
            ref source,
        } => {
            client.skip(endpoint, item, source);
            Gap::Missing(e.to_string())
        }
        other => Gap::Fatal(other),
    }
}

/// Runs `read` for every key, as many at once as the client allows, and keeps the order. A read
/// the run can do without comes back as `Err(why)`; any other error stops the run.
async fn each<K, T, F, Fut>(
    client: &SpotifyClient,
    keys: impl IntoIterator<Item = K>,
    instead: &str,
    read: F,
) -> Result<Vec<(K, std::result::Result<T, String>)>>
where
    K: Clone,
    F: Fn(K) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let answers: Vec<(K, Result<T>)> = stream::iter(keys)
        .map(|k| {
            let read = read(k.clone());
            async move { (k, read.await) }
        })
        .buffered(client.config().concurrency)
        .collect()
        .await;
    let mut out = Vec::with_capacity(answers.len());
    for (k, answer) in answers {
        match answer.map_err(|e| gap(client, e, instead)) {
            Ok(v) => out.push((k, Ok(v))),
            Err(Gap::Missing(why)) => out.push((k, Err(why))),
            Err(Gap::Fatal(e)) => return Err(e),
        }
    }
    Ok(out)
}

impl Run<'_> {
    fn concurrency(&self) -> usize {
        self.client.config().concurrency
    }

    async fn fetch_all(&mut self, tx: mpsc::Sender<Batch>, shutdown: &Shutdown) -> Result<()> {
        let mut queue: VecDeque<Pending> = self
            .opts
            .seeds
            .iter()
            .map(|s| Pending::Seed(s.clone()))
            .collect();
        let mut batch_no = 0;
        while !queue.is_empty() {
            if shutdown.is_requested() {
                self.summary.stopped_early = true;
                info!(
                    left = queue.len(),
                    "stopping on request before the next batch"
                );
                break;
            }
            batch_no += 1;
            let take = self.opts.artists_per_batch.min(queue.len());
            let pending: Vec<_> = queue.drain(..take).collect();
            // Related artists are followed for seeds only: one level deep.
            let related_here: BTreeSet<String> = pending
                .iter()
                .filter_map(|p| match p {
                    Pending::Artist(a) => Some(a.id.clone()),
                    Pending::Seed(_) => None,
                })
                .collect();
            let artists = self.resolve(pending).await?;
            if artists.is_empty() {
                continue;
            }
            let fetched = self.fetch(artists, &related_here).await?;
            for a in &fetched.related {
                if !self.seen.contains(&a.id) && self.queued.insert(a.id.clone()) {
                    self.summary.related_followed += 1;
                    queue.push_back(Pending::Artist(Box::new(a.clone())));
                }
            }
            let batch = self.rows(fetched);
            info!(batch = batch_no, tracks = batch.track_count(), "batch read");
            if tx.send(batch).await.is_err() {
                // The writer stopped; its error is the run's.
                break;
            }
        }
        Ok(())
    }

    /// Turns seeds into artist objects: names by search, ids by the artists endpoint; drops
    /// seeds already seen in this run and, with `--max-age`, those loaded recently.
    async fn resolve(&mut self, pending: Vec<Pending>) -> Result<Vec<Artist>> {
        let fresh = self.fresh_artists(&pending).await?;
        let mut artists = Vec::new();
        let mut ids = Vec::new();
        let mut names = Vec::new();
        for p in pending {
            match p {
                Pending::Artist(a) if fresh.ids.contains(&a.id) => self.summary.artists_fresh += 1,
                Pending::Artist(a) => artists.push(*a),
                Pending::Seed(Seed::Id(id)) if fresh.ids.contains(&id) => {
                    self.summary.artists_fresh += 1;
                }
                Pending::Seed(Seed::Id(id)) => ids.push(id),
                Pending::Seed(Seed::Name(n)) if fresh.keys.contains(&search_key(&n)) => {
                    self.summary.artists_fresh += 1;
                }
                Pending::Seed(Seed::Name(n)) => names.push(n),
            }
        }
        let mut asked = BTreeSet::new();
        ids.retain(|id| !self.seen.contains(id) && asked.insert(id.clone()));
        if !ids.is_empty() {
            match self.client.artists(&ids).await {
                Ok(found) => {
                    let known: BTreeSet<&str> = found.iter().map(|a| a.id.as_str()).collect();
                    for id in ids.iter().filter(|id| !known.contains(id.as_str())) {
                        self.unmatched(id, "Spotify knows no artist with this id".into());
                    }
                    artists.extend(found);
                }
                Err(e) => match gap(self.client, e, "these ids cannot be loaded") {
                    Gap::Missing(why) => ids.iter().for_each(|id| self.unmatched(id, why.clone())),
                    Gap::Fatal(e) => return Err(e),
                },
            }
        }
        let limit = self.opts.search_limit;
        let client = self.client;
        let searched: Vec<(String, Result<Vec<Artist>>)> = stream::iter(names)
            .map(|name| async move {
                let found = client.search_artists(&name, limit).await;
                (name, found)
            })
            .buffered(self.concurrency())
            .collect()
            .await;
        for (name, found) in searched {
            match found {
                Ok(found) => {
                    if let Some(a) = self.choose(&name, found) {
                        artists.push(a);
                    }
                }
                Err(e) => match gap(self.client, e, "names cannot be resolved") {
                    Gap::Missing(why) => self.unmatched(&name, why),
                    Gap::Fatal(e) => return Err(e),
                },
            }
        }
        // Seeds given twice, or two names resolving to one artist, load it once.
        artists.retain(|a| self.seen.insert(a.id.clone()));
        Ok(artists)
    }

    fn unmatched(&mut self, seed: &str, reason: String) {
        warn!(seed, %reason, "seed not loaded");
        self.summary.unmatched.push(Unmatched {
            seed: seed.to_owned(),
            reason,
        });
    }

    /// Picks the artist a name means: among exact (case-, accent- and spacing-insensitive)
    /// matches the most popular, else the most popular result; ties go to Spotify's order.
    fn choose(&mut self, name: &str, found: Vec<Artist>) -> Option<Artist> {
        if found.is_empty() {
            self.unmatched(name, "no artist of that name on Spotify".into());
            return None;
        }
        let key = search_key(name);
        let exact: Vec<&Artist> = found
            .iter()
            .filter(|a| search_key(&a.name) == key)
            .collect();
        let (pool, matched) = if exact.is_empty() {
            (found.iter().collect::<Vec<_>>(), "inexact")
        } else {
            (exact, "exact")
        };
        let chosen = pool
            .iter()
            .copied()
            .reduce(|best, a| {
                if a.popularity.unwrap_or(-1) > best.popularity.unwrap_or(-1) {
                    a
                } else {
                    best
                }
            })?
            .clone();
        if matched == "inexact" || pool.len() > 1 {
            let others: Vec<String> = found
                .iter()
                .filter(|a| a.id != chosen.id)
                .map(|a| format!("{} ({})", a.name, a.id))
                .collect();
            warn!(name, chosen = %chosen.name, chosen_id = %chosen.id, matched, others = others.len(), "ambiguous artist name");
            self.summary.ambiguous.push(Ambiguous {
                name: name.to_owned(),
                chosen_id: chosen.id.clone(),
                chosen_name: chosen.name.clone(),
                matched: matched.to_owned(),
                others,
            });
        }
        Some(chosen)
    }

    /// With `--max-age`, the ids and name keys of artists loaded from Spotify recently.
    async fn fresh_artists(&self, pending: &[Pending]) -> Result<Fresh> {
        let mut fresh = Fresh::default();
        let Some(max_age) = self.opts.max_age else {
            return Ok(fresh);
        };
        let since =
            Utc::now() - chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
        let mut ids = Vec::new();
        let mut keys = Vec::new();
        for p in pending {
            match p {
                Pending::Artist(a) => ids.push(a.id.clone()),
                Pending::Seed(Seed::Id(id)) => ids.push(id.clone()),
                Pending::Seed(Seed::Name(n)) => keys.push(search_key(n)),
            }
        }
        let rows: Vec<(String, String)> = artist::Entity::find()
            .select_only()
            .column(artist::Column::Id)
            .column(artist::Column::SearchKey)
            .filter(artist::Column::SpotifyLoadedAt.gte(since))
            .filter(
                artist::Column::Id
                    .is_in(ids)
                    .or(artist::Column::SearchKey.is_in(keys)),
            )
            .into_tuple()
            .all(self.db)
            .await
            .map_err(LoaderError::db("looking up recently loaded artists"))?;
        for (id, key) in rows {
            fresh.ids.insert(id);
            fresh.keys.insert(key);
        }
        Ok(fresh)
    }

    /// Reads everything a batch of artists needs from Spotify; the related artists of those not
    /// in `related_here` (themselves related to a seed) too.
    async fn fetch(
        &mut self,
        artists: Vec<Artist>,
        related_here: &BTreeSet<String>,
    ) -> Result<Fetched> {
        let client = self.client;
        let opts = self.opts;
        let mut out = Fetched {
            artists,
            ..Default::default()
        };

        // Discographies.
        let artist_ids: Vec<String> = out.artists.iter().map(|a| a.id.clone()).collect();
        let discographies = each(
            client,
            artist_ids.clone(),
            "discographies are left out",
            |id| async move { client.artist_albums(&id, opts.album_page_size).await },
        )
        .await?;
        let mut album_refs: Vec<AlbumRef> = Vec::new();
        let mut album_seen = BTreeSet::new();
        for (artist_id, albums) in discographies {
            match albums {
                Ok(albums) => {
                    for a in albums {
                        if album_seen.insert(a.id.clone()) {
                            album_refs.push(a);
                        }
                    }
                }
                Err(why) => {
                    out.incomplete.insert(artist_id, why);
                }
            }
        }

        // Albums with their tracks.
        let album_ids: Vec<String> = album_refs.iter().map(|a| a.id.clone()).collect();
        out.albums = match client.albums(&album_ids).await {
            Ok(albums) => albums,
            Err(e) => match gap(client, e, "album track lists are read page by page instead") {
                Gap::Missing(_) => album_refs
                    .iter()
                    .map(|info| Album {
                        info: info.clone(),
                        artists: Vec::new(),
                        tracks: super::model::Paging {
                            items: Vec::new(),
                            limit: 0,
                            offset: 0,
                            total: u32::MAX,
                            next: None,
                        },
                    })
                    .collect(),
                Gap::Fatal(e) => return Err(e),
            },
        };
        let long: Vec<(usize, String, usize)> = out
            .albums
            .iter()
            .enumerate()
            .filter(|(_, a)| (a.tracks.items.len() as u64) < u64::from(a.tracks.total))
            .map(|(i, a)| (i, a.info.id.clone(), a.tracks.items.len()))
            .collect();
        let rest =
            each(
                client,
                long,
                "long albums are cut at their first page",
                |(_, id, from)| async move {
                    client.album_tracks(&id, from, opts.track_page_size).await
                },
            )
            .await?;
        for ((i, album, _), more) in rest {
            match more {
                Ok(more) => out.albums[i].tracks.items.extend(more),
                Err(why) => warn!(album, %why, "album track list incomplete"),
            }
        }

        // Top tracks.
        let market = opts.market.as_str();
        let tops = each(
            client,
            artist_ids.clone(),
            "top tracks are left out",
            |id| async move { client.top_tracks(&id, market).await },
        )
        .await?;
        out.top_tracks = tops
            .into_iter()
            .filter_map(|(id, top)| top.ok().map(|top| (id, top)))
            .collect();

        // Track details for album tracks (top tracks come in full already).
        let have: BTreeSet<&str> = out
            .top_tracks
            .iter()
            .flat_map(|(_, t)| t.iter().map(|t| t.id.as_str()))
            .collect();
        let mut want = BTreeSet::new();
        let detail_ids: Vec<String> = out
            .albums
            .iter()
            .flat_map(|a| a.tracks.items.iter().map(|t| t.id.clone()))
            .filter(|id| !have.contains(id.as_str()) && want.insert(id.clone()))
            .collect();
        out.tracks = match client.tracks(&detail_ids).await {
            Ok(tracks) => tracks,
            Err(e) => match gap(client, e, "tracks keep what their album lists") {
                Gap::Missing(_) => Vec::new(),
                Gap::Fatal(e) => return Err(e),
            },
        };

        // Audio features for every track of the batch.
        let mut all_ids: BTreeSet<String> = detail_ids.into_iter().collect();
        all_ids.extend(have.iter().map(|s| (*s).to_owned()));
        let all_ids: Vec<String> = all_ids.into_iter().collect();
        out.features = match client.audio_features(&all_ids).await {
            Ok(f) => f,
            Err(e) => match gap(client, e, "audio features are left out") {
                Gap::Missing(_) => Vec::new(),
                Gap::Fatal(e) => return Err(e),
            },
        };

        // Related artists, one level deep.
        if opts.follow_related > 0 {
            let seeds = artist_ids
                .into_iter()
                .filter(|id| !related_here.contains(id));
            let related = each(
                client,
                seeds,
                "related artists are not followed",
                |id| async move { client.related_artists(&id).await },
            )
            .await?;
            for (_, r) in related {
                out.related
                    .extend(r.unwrap_or_default().into_iter().take(opts.follow_related));
            }
        }
        Ok(out)
    }

    /// Turns a fetched batch into rows for the writer, and counts it.
    fn rows(&mut self, f: Fetched) -> Batch {
        let mut batch = Batch::default();
        let mut genres: HashMap<&str, &[String]> = HashMap::new();
        for a in &f.artists {
            batch.add_artist(&a.id, artist_values(a));
            for g in &a.genres {
                batch.tag_artist(&a.id, g);
            }
            genres.insert(a.id.as_str(), &a.genres);
            match f.incomplete.get(&a.id) {
                None => {
                    batch.mark_spotify_loaded(&a.id);
                    self.summary.artists_loaded += 1;
                }
                Some(why) => {
                    warn!(artist = %a.id, %why, "discography incomplete; the artist will be tried again next run");
                    self.summary.incomplete.push(Unmatched {
                        seed: a.id.clone(),
                        reason: why.clone(),
                    });
                }
            }
        }
        let features: HashMap<&str, &AudioFeatures> =
            f.features.iter().map(|x| (x.id.as_str(), x)).collect();
        let mut track_ids = BTreeSet::new();
        let mut add_track =
            |batch: &mut Batch, id: &str, values: TrackValues, credits: &[ArtistRef]| {
                let mut values = values;
                values.features = features.get(id).map(|x| x.features.clone());
                batch.add_track(id, values);
                for (pos, c) in credits.iter().enumerate() {
                    batch.add_artist(
                        &c.id,
                        ArtistValues {
                            name: c.name.clone(),
                            ..Default::default()
                        },
                    );
                    batch.credit(id, &c.id, pos);
                    for g in genres.get(c.id.as_str()).copied().unwrap_or_default() {
                        batch.tag_track(id, g);
                    }
                }
                track_ids.insert(id.to_owned());
            };
        for album in &f.albums {
            batch.add_album(&album.info.id, album_values(&album.info));
            for t in &album.tracks.items {
                add_track(
                    &mut batch,
                    &t.id,
                    TrackValues {
                        name: Some(t.name.clone()),
                        album_id: Some(album.info.id.clone()),
                        duration_ms: t.duration_ms,
                        popularity: None,
                        explicit: t.explicit,
                        track_number: t.track_number,
                        isrc: None,
                        features: None,
                    },
                    &t.artists,
                );
            }
        }
        let full = f
            .tracks
            .iter()
            .chain(f.top_tracks.iter().flat_map(|(_, t)| t.iter()));
        for t in full {
            if let Some(album) = &t.album {
                batch.add_album(&album.id, album_values(album));
            }
            add_track(
                &mut batch,
                &t.id,
                TrackValues {
                    name: Some(t.name.clone()),
                    album_id: t.album.as_ref().map(|a| a.id.clone()),
                    duration_ms: t.duration_ms,
                    popularity: t.popularity,
                    explicit: t.explicit,
                    track_number: t.track_number,
                    isrc: t.external_ids.as_ref().and_then(|x| x.isrc.clone()),
                    features: None,
                },
                &t.artists,
            );
        }
        for (artist_id, top) in &f.top_tracks {
            batch.set_top_tracks(
                artist_id,
                &self.opts.market,
                top.iter().map(|t| t.id.clone()).collect(),
            );
            self.summary.top_tracks += top.len() as u64;
        }
        self.summary.albums += f.albums.len() as u64;
        self.summary.tracks += track_ids.len() as u64;
        self.summary.audio_features += f
            .features
            .iter()
            .filter(|x| track_ids.contains(&x.id))
            .count() as u64;
        self.fetched_tracks += track_ids.len() as u64;
        batch
    }
}

/// Ids and name keys of artists that `--max-age` says are fresh.
#[derive(Default)]
struct Fresh {
    ids: BTreeSet<String>,
    keys: BTreeSet<String>,
}

fn artist_values(a: &Artist) -> ArtistValues {
    ArtistValues {
        name: a.name.clone(),
        popularity: a.popularity,
        followers: a.followers.as_ref().and_then(|f| f.total),
        image_url: a.image_url().map(str::to_owned),
        spotify_url: a.external_urls.as_ref().and_then(|u| u.spotify.clone()),
    }
}

fn album_values(a: &AlbumRef) -> AlbumValues {
    AlbumValues {
        name: Some(a.name.clone()),
        album_type: a.album_type.clone(),
        release: a.release_date.as_deref().and_then(ReleaseDate::parse),
        total_tracks: a.total_tracks,
        image_url: a.images.first().map(|i| i.url.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artists_file_skips_blank_lines_and_keeps_korean_names() {
        let seeds = Seed::from_lines("\u{feff}BTS\n\n  아이유  \r\n\t\n블랙핑크\n");
        assert_eq!(
            seeds,
            [
                Seed::Name("BTS".into()),
                Seed::Name("아이유".into()),
                Seed::Name("블랙핑크".into())
            ]
        );
    }

    #[test]
    fn a_market_must_be_two_capital_letters() {
        let mut opts = SpotifyLoadOptions::new(vec![]);
        assert!(opts.validate().is_ok());
        opts.market = "kor".into();
        assert!(opts.validate().is_err());
    }
}
