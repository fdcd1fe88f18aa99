//! The catalog a fake serves, consistent as Spotify's, and the JSON shapes of its objects as
//! the OpenAPI reference describes them.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

/// Artist ids of the default catalog.
pub const BTS: &str = "3Nrfpe0tUJi4K4DXYWgMUX";
pub const BLACKPINK: &str = "41MozSoPIsD1dJM0CLPjZF";
pub const IU: &str = "3HqSLMAZ3g3d5poNaI7GOU";
pub const JANNABI: &str = "2SY6OktZyMLdOnscX3DCyS";
pub const NELL: &str = "0w9C4gvvWuTAPB3ZInkCYz";
pub const NELL_OTHER: &str = "5cMhnwV5Yxhz8pXFEwoGmD";
pub const TXT: &str = "0ghlgldX5Dd6720Q3qFyQB";

/// Albums in BTS's discography in the default catalog.
pub const ALBUMS_PER_ARTIST: usize = 23;

/// The catalog a fake serves: artists, their albums and tracks, audio features and related
/// artists, as consistent as Spotify's (a track's album lists it, its artists exist).
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub(super) artists: BTreeMap<String, Value>,
    /// Extra names search finds an artist by (`방탄소년단` for BTS), folded to lower case.
    pub(super) aliases: Vec<(String, String)>,
    pub(super) discography: HashMap<String, Vec<String>>,
    /// `AlbumBase` fields of each album, without its tracks.
    pub(super) albums: HashMap<String, Value>,
    pub(super) album_tracks: HashMap<String, Vec<String>>,
    pub(super) tracks: HashMap<String, Value>,
    pub(super) features: HashMap<String, Value>,
    pub(super) related: HashMap<String, Vec<String>>,
    pub(super) next_track: u32,
}

/// An `ArtistObject` as the reference describes it.
pub fn artist_json(id: &str, name: &str, popularity: u32, genres: &[&str]) -> Value {
    json!({
        "external_urls": { "spotify": format!("https://open.spotify.com/artist/{id}") },
        "followers": { "href": null, "total": 1000 + popularity * 10 },
        "genres": genres,
        "href": format!("https://api.spotify.com/v1/artists/{id}"),
        "id": id,
        "images": [{ "url": format!("https://i.scdn.co/image/{id}"), "height": 640, "width": 640 }],
        "name": name,
        "popularity": popularity,
        "type": "artist",
        "uri": format!("spotify:artist:{id}")
    })
}

/// An `AudioFeaturesObject` as the reference describes it, varied by `n`.
pub fn features_json(id: &str, n: u32) -> Value {
    let x = f64::from(n % 10) / 10.0;
    json!({
        "acousticness": x, "danceability": 0.5 + x / 2.0, "duration_ms": 200_000, "energy": 0.8,
        "id": id, "instrumentalness": 0.0, "key": n % 12, "liveness": 0.1, "loudness": -5.0,
        "mode": n % 2, "speechiness": 0.05, "tempo": 120.0 + f64::from(n % 50),
        "time_signature": 4, "type": "audio_features", "valence": x,
        "uri": format!("spotify:track:{id}")
    })
}

/// An album of a [`Catalog`]: `tracks` are `(id, name, popularity)`, credited to the
/// album's artist and to `featuring`.
#[derive(Clone, Debug)]
pub struct AlbumSpec<'a> {
    pub id: String,
    pub name: String,
    pub album_type: &'a str,
    pub release_date: &'a str,
    pub tracks: Vec<(String, String, u32)>,
    pub featuring: Option<&'a str>,
}

impl Catalog {
    /// Adds an artist.
    pub fn artist(&mut self, id: &str, name: &str, popularity: u32, genres: &[&str]) -> &mut Self {
        self.artists
            .insert(id.into(), artist_json(id, name, popularity, genres));
        self
    }

    /// Lets search find an artist by another name.
    pub fn alias(&mut self, alias: &str, id: &str) -> &mut Self {
        self.aliases.push((alias.to_lowercase(), id.into()));
        self
    }

    /// Sets an artist's related artists, most related first.
    pub fn related(&mut self, id: &str, related: &[&str]) -> &mut Self {
        self.related
            .insert(id.into(), related.iter().map(|r| (*r).to_owned()).collect());
        self
    }

    pub(super) fn artist_ref(&self, id: &str) -> Value {
        json!({
            "id": id, "name": self.artists[id]["name"], "type": "artist",
            "uri": format!("spotify:artist:{id}"),
            "external_urls": { "spotify": format!("https://open.spotify.com/artist/{id}") }
        })
    }

    /// Adds an album of `artist_id` (which must exist) with its tracks, their audio features
    /// and ISRCs; the album joins the end of the artist's discography.
    pub fn album(&mut self, artist_id: &str, spec: AlbumSpec<'_>) -> &mut Self {
        let precision = match spec.release_date.len() {
            4 => "year",
            7 => "month",
            _ => "day",
        };
        let album = json!({
            "album_type": spec.album_type, "total_tracks": spec.tracks.len(),
            "available_markets": ["KR", "US"],
            "external_urls": { "spotify": format!("https://open.spotify.com/album/{}", spec.id) },
            "href": format!("https://api.spotify.com/v1/albums/{}", spec.id), "id": spec.id,
            "images": [{ "url": format!("https://i.scdn.co/image/{}", spec.id), "height": 640, "width": 640 }],
            "name": spec.name, "release_date": spec.release_date,
            "release_date_precision": precision, "type": "album",
            "uri": format!("spotify:album:{}", spec.id),
            "artists": [self.artist_ref(artist_id)]
        });
        let mut credits = vec![self.artist_ref(artist_id)];
        if let Some(f) = spec.featuring {
            credits.push(self.artist_ref(f));
        }
        let mut ids = Vec::new();
        for (i, (id, name, popularity)) in spec.tracks.into_iter().enumerate() {
            self.next_track += 1;
            let n = self.next_track;
            let track = json!({
                "album": album.clone(), "artists": credits.clone(),
                "available_markets": ["KR", "US"], "disc_number": 1,
                "duration_ms": 200_000 + n * 1000, "explicit": n.is_multiple_of(7),
                "external_ids": { "isrc": format!("KRA40{n:07}") },
                "external_urls": { "spotify": format!("https://open.spotify.com/track/{id}") },
                "href": format!("https://api.spotify.com/v1/tracks/{id}"),
                "id": id, "is_local": false, "is_playable": true, "name": name,
                "popularity": popularity, "preview_url": null, "track_number": i + 1,
                "type": "track", "uri": format!("spotify:track:{id}")
            });
            self.features.insert(id.clone(), features_json(&id, n));
            self.tracks.insert(id.clone(), track);
            ids.push(id);
        }
        self.album_tracks.insert(spec.id.clone(), ids);
        self.discography
            .entry(artist_id.into())
            .or_default()
            .push(spec.id.clone());
        self.albums.insert(spec.id, album);
        self
    }

    /// Korean artists, among them BTS with a discography of 23 releases (several pages),
    /// BLACKPINK with an album of 52 tracks (more than one page of an album's track list), a
    /// track BTS recorded with IU, an artist whose name is Korean (잔나비), two artists named
    /// Nell, and related artists.
    pub fn korean() -> Self {
        let mut c = Self::default();
        c.artist(BTS, "BTS", 90, &["k-pop", "pop"])
            .alias("방탄소년단", BTS)
            .artist(BLACKPINK, "BLACKPINK", 85, &["k-pop"])
            .alias("블랙핑크", BLACKPINK)
            .artist(IU, "IU", 80, &["k-pop", "k-ballad"])
            .alias("아이유", IU)
            .artist(JANNABI, "잔나비", 60, &["korean indie"])
            .artist(NELL, "Nell", 55, &["korean indie", "k-rock"])
            .artist(NELL_OTHER, "NELL", 20, &[])
            .artist(TXT, "TOMORROW X TOGETHER", 75, &["k-pop"])
            .related(BTS, &[TXT, BLACKPINK, IU])
            .related(BLACKPINK, &[BTS, IU])
            .related(IU, &[JANNABI, BTS]);
        let generated = |prefix: &str,
                         title: &str,
                         from: usize,
                         n: usize,
                         popularity: u32|
         -> Vec<(String, String, u32)> {
            (from..from + n)
                .map(|k| {
                    (
                        format!("{}{k:02}", &prefix[..20]),
                        format!("{title} {}", k + 1),
                        popularity.saturating_sub(u32::try_from(k).unwrap_or(0)),
                    )
                })
                .collect()
        };
        for i in 0..ALBUMS_PER_ARTIST {
            let single = i % 3 == 2;
            let id = format!("{}{i:02}", &BTS[..20]);
            let mut tracks = generated(
                &format!("bt{i:02}{}", &BTS[4..]),
                &format!("BTS Song {i}-"),
                0,
                if single { 1 } else { 3 },
                70,
            );
            let mut featuring = None;
            if i == 0 {
                tracks = vec![
                    ("5KawlOMHjWeUjQtnuRs22c".into(), "Boy With Luv".into(), 88),
                    ("0GJjSnmfg1uQ0gUXVdtsUr".into(), "FIRE".into(), 91),
                ];
            }
            if i == 1 {
                featuring = Some(IU);
            }
            let year = (2020 - i).to_string();
            c.album(
                BTS,
                AlbumSpec {
                    id,
                    name: format!("BTS Album {i}"),
                    album_type: if single { "single" } else { "album" },
                    release_date: if i == 0 { "2019-04-12" } else { &year },
                    tracks,
                    featuring,
                },
            );
        }
        let mut deluxe = vec![("7b8YOVV5quZcSKEijDgyWB".into(), "DDU-DU DDU-DU".into(), 86)];
        deluxe.extend(generated(
            "bpDeluxe0000000000000000",
            "Deluxe Track",
            1,
            51,
            60,
        ));
        c.album(
            BLACKPINK,
            AlbumSpec {
                id: "4Ydx5ayULBNdrzrYK5A2pB".into(),
                name: "THE ALBUM (Deluxe)".into(),
                album_type: "album",
                release_date: "2020-10",
                tracks: deluxe,
                featuring: None,
            },
        );
        c.album(
            BLACKPINK,
            AlbumSpec {
                id: "7zCODUHkfuRxsUjtuzNqbd".into(),
                name: "Pink Venom".into(),
                album_type: "single",
                release_date: "2022-08-19",
                tracks: vec![("5Odq8ohlgIbQKMZivbWkEo".into(), "Pink Venom".into(), 80)],
                featuring: None,
            },
        );
        for (artist, prefix, albums, per, pop) in [
            (IU, "iuAlbum0000000000000000", 3, 3, 75),
            (JANNABI, "jnAlbum0000000000000000", 1, 3, 50),
            (NELL, "nlAlbum0000000000000000", 1, 3, 45),
            (NELL_OTHER, "noAlbum0000000000000000", 1, 2, 10),
            (TXT, "txAlbum0000000000000000", 2, 3, 65),
        ] {
            for a in 0..albums {
                let album_prefix = format!("{}{a}", &prefix[..19]);
                c.album(
                    artist,
                    AlbumSpec {
                        id: format!("{}{a:02}", &prefix[..20]),
                        name: format!("Album {a}"),
                        album_type: "album",
                        release_date: "2018-05-01",
                        tracks: generated(
                            &format!("{album_prefix}tttt"),
                            &format!("{} Song {a}-", &prefix[..2]),
                            0,
                            per,
                            pop,
                        ),
                        featuring: None,
                    },
                );
            }
        }
        c
    }

    /// A generated catalog of `artists` × `albums` × `tracks` (for benchmarks): artists named
    /// `Artist 0`, `Artist 1`, …, each related to the next three.
    pub fn generated(artists: usize, albums: usize, tracks: usize) -> Self {
        const GENRES: [&str; 8] = [
            "k-pop",
            "pop",
            "rock",
            "hip hop",
            "r&b",
            "edm",
            "latin",
            "korean indie",
        ];
        let mut c = Self::default();
        let id = |kind: &str, n: usize| format!("{kind}{n:019}");
        for a in 0..artists {
            let pop = u32::try_from(20 + (a * 37) % 80).unwrap_or(50);
            c.artist(
                &id("art", a),
                &format!("Artist {a}"),
                pop,
                &[GENRES[a % 8], GENRES[(a + 3) % 8]],
            );
        }
        for a in 0..artists {
            let related: Vec<String> = (1..=3).map(|k| id("art", (a + k) % artists)).collect();
            let related: Vec<&str> = related.iter().map(String::as_str).collect();
            c.related(&id("art", a), &related);
            for b in 0..albums {
                let album = a * albums + b;
                let year = (2000 + album % 25).to_string();
                c.album(
                    &id("art", a),
                    AlbumSpec {
                        id: id("alb", album),
                        name: format!("Album {album}"),
                        album_type: if b % 4 == 3 { "single" } else { "album" },
                        release_date: &year,
                        tracks: (0..tracks)
                            .map(|t| {
                                let n = album * tracks + t;
                                (
                                    id("trk", n),
                                    format!("Track {n}"),
                                    u32::try_from(n % 100).unwrap_or(0),
                                )
                            })
                            .collect(),
                        featuring: None,
                    },
                );
            }
        }
        c
    }

    /// How many artists, albums and tracks the catalog holds.
    pub fn size(&self) -> (usize, usize, usize) {
        (self.artists.len(), self.albums.len(), self.tracks.len())
    }

    /// Every track id, sorted.
    pub fn track_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.tracks.keys().cloned().collect();
        ids.sort();
        ids
    }
}

impl Catalog {
    /// An `AlbumObject` with the first 50 of its tracks.
    pub(super) fn full_album(&self, id: &str) -> Option<Value> {
        let mut album = self.albums.get(id)?.clone();
        let tracks: Vec<Value> = self.album_tracks[id]
            .iter()
            .map(|t| simplified(&self.tracks[t]))
            .collect();
        let total = tracks.len();
        let items: Vec<Value> = tracks.into_iter().take(50).collect();
        album["tracks"] = json!({
            "href": format!("https://api.spotify.com/v1/albums/{id}/tracks"), "items": items,
            "limit": 50, "offset": 0, "previous": null, "total": total,
            "next": (total > 50).then(|| format!("https://api.spotify.com/v1/albums/{id}/tracks?offset=50&limit=50"))
        });
        album["copyrights"] = json!([]);
        album["external_ids"] = json!({});
        album["genres"] = json!([]);
        album["label"] = json!("Fake Records");
        album["popularity"] = json!(50);
        Some(album)
    }
}

/// A `SimplifiedTrackObject` from a `TrackObject`.
pub(super) fn simplified(track: &Value) -> Value {
    let mut t = track.clone();
    if let Some(o) = t.as_object_mut() {
        for k in ["album", "external_ids", "popularity"] {
            o.remove(k);
        }
    }
    t
}
