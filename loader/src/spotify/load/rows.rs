//! Turning a fetched batch into rows for the writer, and counting it.

use std::collections::{BTreeSet, HashMap};

use entity::FeatureSource;
use entity::run_summary::Unmatched;

use tracing::warn;

use super::Run;
use super::fetch::Fetched;
use crate::csv_source::ReleaseDate;
use crate::spotify::model::{AlbumRef, Artist, ArtistRef, AudioFeatures, Track};
use crate::writer::{AlbumValues, AliasValues, ArtistValues, Batch, SourcedFeatures, TrackValues};

impl Run<'_> {
    /// Turns a fetched batch into rows for the writer, and counts it.
    pub(super) fn rows(&mut self, f: Fetched) -> Batch {
        let mut batch = Batch::default();
        let mut genres: HashMap<&str, &[String]> = HashMap::new();
        for a in &f.artists {
            batch.add_artist(&a.id, artist_values(a));
            for name in self.seed_names.remove(&a.id).unwrap_or_default() {
                let locale = entity::alias::locale_of_script(&name);
                let values = AliasValues {
                    name: entity::normalize::clean_name(&name),
                    is_primary: false,
                    kind: None,
                };
                batch.add_alias(&a.id, entity::alias::Source::SpotifySeed, locale, values);
            }
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
                values.features = features.get(id).map(|x| SourcedFeatures {
                    features: x.features.clone(),
                    source: FeatureSource::Spotify,
                });
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
            add_track(&mut batch, &t.id, track_values(t), &t.artists);
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
        self.track_ids.extend(track_ids);
        batch
    }
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

/// A `TrackObject`'s values, without audio features.
pub(crate) fn track_values(t: &Track) -> TrackValues {
    TrackValues {
        name: Some(t.name.clone()),
        album_id: t.album.as_ref().map(|a| a.id.clone()),
        duration_ms: t.duration_ms,
        popularity: t.popularity,
        explicit: t.explicit,
        track_number: t.track_number,
        isrc: t.external_ids.as_ref().and_then(|x| x.isrc.clone()),
        features: None,
    }
}

/// Adds a `TrackObject` with its album and credited artists (names only).
pub(crate) fn add_track_object(batch: &mut Batch, t: &Track) {
    if let Some(album) = &t.album {
        batch.add_album(&album.id, album_values(album));
    }
    batch.add_track(&t.id, track_values(t));
    for (position, c) in t.artists.iter().enumerate() {
        batch.add_artist(
            &c.id,
            ArtistValues {
                name: c.name.clone(),
                ..Default::default()
            },
        );
        batch.credit(&t.id, &c.id, position);
    }
}

pub(crate) fn album_values(a: &AlbumRef) -> AlbumValues {
    AlbumValues {
        name: Some(a.name.clone()),
        album_type: a.album_type.clone(),
        release: a.release_date.as_deref().and_then(ReleaseDate::parse),
        total_tracks: a.total_tracks,
        image_url: a.images.first().map(|i| i.url.clone()),
    }
}
