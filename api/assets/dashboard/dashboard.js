// The Sixpotify dashboard: every figure comes from this server's /graphql endpoint, drawn with
// the embedded Chart.js. Each chart's canvas carries data-state="ready" once drawn with data,
// "empty" when the catalog has nothing to show, and "error" when its query failed.
(function () {
  'use strict';

  // The features Spotify gives on a 0–1 scale; loudness and tempo have their own units.
  var SHARES = ['danceability', 'energy', 'speechiness', 'acousticness', 'instrumentalness', 'liveness', 'valence'];
  var HISTOGRAM_FEATURES = SHARES.concat(['loudness', 'tempo']);
  // The dashboard's GraphQL documents, every one of them: fixed texts with variables, so that a
  // server that runs trusted documents only serves the dashboard (`sixpotify-api
  // trusted-documents` reads this block into api/trusted-documents.json). Strict JSON.
  // BEGIN DOCUMENTS
  var DOCUMENTS = {
    "counts": "query DashboardCounts { catalogStats { artists tracks albums genres tracksWithFeatures latestLoadRun { finishedAt status } } }",
    "genres": "query DashboardGenres { genreStats(first: 30) { id name tracks artists averagePopularity averageFeatures { danceability energy speechiness acousticness instrumentalness liveness valence } } }",
    "years": "query DashboardYears($genre: String) { releaseYearStats(genre: $genre) { year tracks averagePopularity averageFeatures { danceability energy valence acousticness } } }",
    "histogram": "query DashboardHistogram($feature: Feature!) { featureHistogram(feature: $feature, bins: 20) { from to tracks bins { from to tracks } } }",
    "artist": "query DashboardArtist($q: String!) { searchArtists(query: $q, first: 1) { id name popularity followers genres { name } audioProfile { danceability energy speechiness acousticness instrumentalness liveness valence trackCount } relatedArtists(first: 5) { similarity sharedPlaylists artist { name popularity audioProfile { danceability energy speechiness acousticness instrumentalness liveness valence trackCount } } } } }",
    "groups.count": "query DashboardGroupsCount($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count } } } }",
    "groups.artists": "query DashboardGroupsArtists($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count artists } } } }",
    "groups.popularity": "query DashboardGroupsPopularity($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count popularity { mean } } } } }",
    "groups.durationMs": "query DashboardGroupsDurationMs($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count durationMs { mean } } } } }",
    "groups.danceability": "query DashboardGroupsDanceability($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count danceability { mean } } } } }",
    "groups.energy": "query DashboardGroupsEnergy($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count energy { mean } } } } }",
    "groups.speechiness": "query DashboardGroupsSpeechiness($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count speechiness { mean } } } } }",
    "groups.acousticness": "query DashboardGroupsAcousticness($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count acousticness { mean } } } } }",
    "groups.instrumentalness": "query DashboardGroupsInstrumentalness($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count instrumentalness { mean } } } } }",
    "groups.liveness": "query DashboardGroupsLiveness($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count liveness { mean } } } } }",
    "groups.valence": "query DashboardGroupsValence($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count valence { mean } } } } }",
    "groups.loudness": "query DashboardGroupsLoudness($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count loudness { mean } } } } }",
    "groups.tempo": "query DashboardGroupsTempo($groupBy: [TrackDimension!], $orderBy: TrackStatsOrder) { trackStats(groupBy: $groupBy, first: 100, orderBy: $orderBy) { totalCount edges { node { key { decade releaseYear genre { name } key mode explicit timeSignature albumType artist { name } } count tempo { mean } } } } }"
  };
  // END DOCUMENTS
  var PALETTE = ['#1db954', '#2f6fdf', '#e8590c', '#9c36b5', '#0ca678', '#f59f00', '#e03131', '#1098ad', '#5c940d', '#862e9c'];
  var charts = {};
  // The dimensions trackStats groups by, and how a group's key reads in a chart.
  var PITCHES = ['C', 'C♯/D♭', 'D', 'D♯/E♭', 'E', 'F', 'F♯/G♭', 'G', 'G♯/A♭', 'A', 'A♯/B♭', 'B'];
  var DIMENSIONS = [
    { value: 'DECADE', text: 'Decade', field: 'decade' },
    { value: 'RELEASE_YEAR', text: 'Release year', field: 'releaseYear' },
    { value: 'GENRE', text: 'Genre', field: 'genre', read: function (k) { return k.genre && k.genre.name; } },
    { value: 'KEY', text: 'Key', field: 'key', read: function (k) { return k.key == null ? null : (PITCHES[k.key] || 'no key'); } },
    { value: 'MODE', text: 'Mode', field: 'mode', read: function (k) { return k.mode == null ? null : (k.mode === 1 ? 'major' : 'minor'); } },
    { value: 'EXPLICIT', text: 'Explicit', field: 'explicit', read: function (k) { return k.explicit == null ? null : (k.explicit ? 'explicit' : 'clean'); } },
    { value: 'TIME_SIGNATURE', text: 'Time signature', field: 'timeSignature', read: function (k) { return k.timeSignature == null ? null : k.timeSignature + '/4'; } },
    { value: 'ALBUM_TYPE', text: 'Album type', field: 'albumType' },
    { value: 'ARTIST', text: 'Main artist', field: 'artist', read: function (k) { return k.artist && k.artist.name; } },
  ];
  // Groups by these are many: the chart shows the largest rather than all in key order.
  var MANY = ['GENRE', 'ARTIST'];
  // The most series a chart draws for the second dimension.
  var MAX_SERIES = 12;
  var MEASURES = [
    { value: 'count', text: 'Tracks' },
    { value: 'artists', text: 'Main artists' },
    { value: 'popularity', text: 'Mean popularity' },
    { value: 'durationMs', text: 'Mean duration (ms)' },
  ].concat(HISTOGRAM_FEATURES.map(function (f) { return { value: f, text: 'Mean ' + f }; }));

  function color(i, alpha) {
    var hex = PALETTE[i % PALETTE.length];
    if (alpha === undefined) return hex;
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  function label(feature) {
    return feature.charAt(0).toUpperCase() + feature.slice(1);
  }

  function status(message) {
    var el = document.getElementById('status');
    el.textContent = message || '';
    el.hidden = !message;
  }

  // When the API needs keys, the server names the header here; the key a person enters is
  // kept for this tab only.
  var keyMeta = document.querySelector('meta[name="sixpotify-api-key-header"]');
  var keyHeader = keyMeta ? keyMeta.content : null;
  var KEY_STORE = 'sixpotify-api-key';

  // One GraphQL request; rejects with the server's messages when it answered with errors.
  function gql(query, variables) {
    var headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
    var key = keyHeader && sessionStorage.getItem(KEY_STORE);
    if (key) headers[keyHeader] = key;
    return fetch('/graphql', {
      method: 'POST',
      headers: headers,
      body: JSON.stringify({ query: query, variables: variables || {} }),
    }).then(function (res) {
      if (res.status === 401 && keyHeader) {
        document.getElementById('key-form').hidden = false;
        throw new Error('this API needs a key: enter it above');
      }
      return res.json().catch(function () { return null; }).then(function (body) {
        if (!body) throw new Error('the API answered HTTP ' + res.status);
        if (body.errors && body.errors.length) {
          throw new Error(body.errors.map(function (e) { return e.message; }).join('; '));
        }
        return body.data;
      });
    });
  }

  // Draws (or redraws) the chart on canvas `id` and marks it ready or empty.
  function draw(id, config, hasData) {
    var canvas = document.getElementById(id);
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    charts[id] = new Chart(canvas, config);
    canvas.dataset.state = hasData ? 'ready' : 'empty';
  }

  function failed(id, what) {
    return function (err) {
      document.getElementById(id).dataset.state = 'error';
      status('Could not load ' + what + ': ' + err.message);
    };
  }

  var number = new Intl.NumberFormat('en');

  function loadCounts() {
    return gql(DOCUMENTS.counts)
      .then(function (data) {
        var s = data.catalogStats;
        var run = s.latestLoadRun;
        document.getElementById('counts').textContent =
          number.format(s.tracks) + ' tracks · ' + number.format(s.artists) + ' artists · ' +
          number.format(s.albums) + ' albums · ' + number.format(s.genres) + ' genres' +
          (run && run.finishedAt ? ' · last load ' + run.status.toLowerCase() + ' ' + run.finishedAt.slice(0, 10) : '');
      })
      .catch(function (err) { status('Could not load the catalog counts: ' + err.message); });
  }

  function loadGenres() {
    return gql(DOCUMENTS.genres)
      .then(function (data) {
        var genres = data.genreStats.filter(function (g) { return g.tracks > 0; });
        draw('chart-genres', {
          type: 'bar',
          data: {
            labels: genres.map(function (g) { return g.name; }),
            datasets: [{ label: 'Tracks', data: genres.map(function (g) { return g.tracks; }), backgroundColor: color(0) }],
          },
          options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'tracks' } } } },
        }, genres.length > 0);

        var largest = genres.slice(0, 10);
        draw('chart-genre-features', {
          type: 'bar',
          data: {
            labels: largest.map(function (g) { return g.name; }),
            datasets: SHARES.map(function (f, i) {
              return { label: label(f), data: largest.map(function (g) { return g.averageFeatures[f]; }), backgroundColor: color(i) };
            }),
          },
          options: { scales: { y: { min: 0, max: 1, title: { display: true, text: 'mean (0–1)' } } } },
        }, largest.length > 0);

        var select = document.getElementById('years-genre');
        select.length = 1;
        genres.forEach(function (g) {
          var option = document.createElement('option');
          option.value = g.id;
          option.textContent = g.name;
          select.appendChild(option);
        });
      })
      .catch(function (err) {
        failed('chart-genres', 'the genres')(err);
        document.getElementById('chart-genre-features').dataset.state = 'error';
      });
  }

  function loadYears() {
    var genre = document.getElementById('years-genre').value || null;
    // The features DOCUMENTS.years asks for.
    var shown = ['danceability', 'energy', 'valence', 'acousticness'];
    return gql(DOCUMENTS.years, { genre: genre })
      .then(function (data) {
        var years = data.releaseYearStats;
        var datasets = [{
          type: 'bar', label: 'Tracks', yAxisID: 'tracks', order: 3,
          data: years.map(function (y) { return y.tracks; }), backgroundColor: 'rgba(120,130,150,0.25)',
        }, {
          type: 'line', label: 'Popularity', yAxisID: 'popularity', order: 1, pointRadius: 0, borderWidth: 2,
          data: years.map(function (y) { return y.averagePopularity; }), borderColor: '#1d2430', backgroundColor: '#1d2430',
        }].concat(shown.map(function (f, i) {
          return {
            type: 'line', label: label(f), yAxisID: 'share', order: 2, pointRadius: 0, borderWidth: 1.5,
            data: years.map(function (y) { return y.averageFeatures[f]; }), borderColor: color(i + 1), backgroundColor: color(i + 1),
          };
        }));
        draw('chart-years', {
          data: { labels: years.map(function (y) { return y.year; }), datasets: datasets },
          options: {
            interaction: { mode: 'index', intersect: false },
            scales: {
              share: { position: 'left', min: 0, max: 1, title: { display: true, text: 'mean feature (0–1)' } },
              popularity: { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: 'popularity' } },
              tracks: { display: false, beginAtZero: true },
            },
          },
        }, years.length > 0);
      })
      .catch(failed('chart-years', 'the release years'));
  }

  function loadHistogram() {
    var feature = document.getElementById('histogram-feature').value;
    return gql(DOCUMENTS.histogram, { feature: feature.toUpperCase() })
      .then(function (data) {
        var h = data.featureHistogram;
        var digits = h.to - h.from > 10 ? 0 : 2;
        draw('chart-histogram', {
          type: 'bar',
          data: {
            labels: h.bins.map(function (b) { return b.from.toFixed(digits) + '–' + b.to.toFixed(digits); }),
            datasets: [{ label: 'Tracks', data: h.bins.map(function (b) { return b.tracks; }), backgroundColor: color(1), categoryPercentage: 1, barPercentage: 0.95 }],
          },
          options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: 'tracks' } } } },
        }, h.tracks > 0);
      })
      .catch(failed('chart-histogram', 'the distribution'));
  }

  function dimension(value) {
    return DIMENSIONS.filter(function (d) { return d.value === value; })[0];
  }

  function keyText(d, key) {
    var v = d.read ? d.read(key) : key[d.field];
    return v == null ? 'none' : String(v);
  }

  // The latest request of the group panel: an answer to an earlier one (the choice changed
  // meanwhile) is dropped, whatever order the answers come in.
  var groupsRequest = 0;

  // trackStats grouped by one or two dimensions; one bar per group, or per first key with a
  // series per second key.
  function loadGroups() {
    var first = dimension(document.getElementById('groups-first').value);
    var second = dimension(document.getElementById('groups-second').value);
    var measure = document.getElementById('groups-measure').value;
    var dims = second && second !== first ? [first, second] : [first];
    var many = dims.some(function (d) { return MANY.indexOf(d.value) >= 0; });
    var order = { by: many ? 'COUNT' : 'KEY' };
    var request = ++groupsRequest;
    return gql(DOCUMENTS['groups.' + measure], { groupBy: dims.map(function (d) { return d.value; }), orderBy: order })
      .then(function (data) {
        if (request !== groupsRequest) return;
        var nodes = data.trackStats.edges.map(function (e) { return e.node; });
        var value = function (n) { return measure === 'count' || measure === 'artists' ? n[measure] : n[measure].mean; };
        var labels = [];
        nodes.forEach(function (n) {
          var l = keyText(dims[0], n.key);
          if (labels.indexOf(l) < 0) labels.push(l);
        });
        var datasets;
        if (dims.length === 1) {
          datasets = [{ label: MEASURES.filter(function (m) { return m.value === measure; })[0].text, data: nodes.map(value), backgroundColor: color(2) }];
        } else {
          var series = [];
          nodes.forEach(function (n) {
            var s = keyText(dims[1], n.key);
            if (series.indexOf(s) < 0) series.push(s);
          });
          var shownSeries = Math.min(series.length, MAX_SERIES);
          datasets = series.slice(0, MAX_SERIES).map(function (s, i) {
            var data = labels.map(function () { return null; });
            nodes.forEach(function (n) {
              if (keyText(dims[1], n.key) === s) data[labels.indexOf(keyText(dims[0], n.key))] = value(n);
            });
            return { label: dims[1].text + ': ' + s, data: data, backgroundColor: color(i) };
          });
        }
        var total = data.trackStats.totalCount;
        var dropped = dims.length > 1 && shownSeries < series.length ? series.length - shownSeries : 0;
        document.getElementById('groups-summary').textContent = number.format(total) + ' group' + (total === 1 ? '' : 's') +
          (total > nodes.length ? ', the first ' + nodes.length + ' shown' : '') +
          (dropped ? '; ' + dropped + ' more ' + dims[1].text.toLowerCase() + ' values not drawn' : '');
        draw('chart-groups', {
          type: 'bar',
          data: { labels: labels, datasets: datasets },
          options: { plugins: { legend: { display: dims.length > 1 } }, scales: { y: { beginAtZero: true } } },
        }, nodes.length > 0);
      })
      .catch(function (err) {
        if (request === groupsRequest) failed('chart-groups', 'the groups')(err);
      });
  }

  function fill(id, options, selected) {
    var select = document.getElementById(id);
    options.forEach(function (o) {
      var option = document.createElement('option');
      option.value = o.value;
      option.textContent = o.text;
      if (o.value === selected) option.selected = true;
      select.appendChild(option);
    });
    select.addEventListener('change', loadGroups);
  }

  function profileOf(entry) {
    return SHARES.map(function (f) { return entry.audioProfile ? entry.audioProfile[f] : null; });
  }

  function loadArtist() {
    var query = document.getElementById('artist-query').value.trim();
    var summary = document.getElementById('artist-summary');
    var related = document.getElementById('related');
    if (!query) return Promise.resolve();
    return gql(DOCUMENTS.artist, { q: query })
      .then(function (data) {
        related.textContent = '';
        var artist = data.searchArtists[0];
        if (!artist) {
          summary.textContent = 'No artist matches “' + query + '”.';
          draw('chart-artist', { type: 'radar', data: { labels: SHARES.map(label), datasets: [] } }, false);
          return;
        }
        summary.textContent = artist.name +
          (artist.genres.length ? ' · ' + artist.genres.map(function (g) { return g.name; }).join(', ') : '') +
          (artist.popularity != null ? ' · popularity ' + artist.popularity : '') +
          (artist.audioProfile ? ' · profile of ' + artist.audioProfile.trackCount + ' tracks' : ' · no audio features');
        var entries = [{ name: artist.name, audioProfile: artist.audioProfile }].concat(
          artist.relatedArtists.map(function (r) { return { name: r.artist.name, audioProfile: r.artist.audioProfile }; }));
        artist.relatedArtists.forEach(function (r) {
          var li = document.createElement('li');
          li.textContent = r.artist.name + ' — similarity ' + r.similarity.toFixed(3) +
            (r.sharedPlaylists ? ' · in ' + r.sharedPlaylists + ' playlist' + (r.sharedPlaylists === 1 ? '' : 's') + ' together' : ' · by sound');
          related.appendChild(li);
        });
        draw('chart-artist', {
          type: 'radar',
          data: {
            labels: SHARES.map(label),
            datasets: entries.filter(function (e) { return e.audioProfile; }).map(function (e, i) {
              return {
                label: e.name, data: profileOf(e), borderColor: color(i), backgroundColor: color(i, i === 0 ? 0.25 : 0.05),
                borderWidth: i === 0 ? 3 : 1.5, pointRadius: i === 0 ? 3 : 1,
              };
            }),
          },
          options: { scales: { r: { min: 0, max: 1, ticks: { stepSize: 0.2 } } } },
        }, Boolean(artist.audioProfile));
      })
      .catch(failed('chart-artist', 'the artist'));
  }

  function init() {
    var select = document.getElementById('histogram-feature');
    HISTOGRAM_FEATURES.forEach(function (f) {
      var option = document.createElement('option');
      option.value = f;
      option.textContent = label(f);
      if (f === 'energy') option.selected = true;
      select.appendChild(option);
    });
    select.addEventListener('change', loadHistogram);
    fill('groups-first', DIMENSIONS, 'DECADE');
    fill('groups-second', [{ value: '', text: 'nothing' }].concat(DIMENSIONS), 'MODE');
    fill('groups-measure', MEASURES, 'count');
    document.getElementById('years-genre').addEventListener('change', loadYears);
    document.getElementById('artist-form').addEventListener('submit', function (event) {
      event.preventDefault();
      loadArtist();
    });
    ['years-form', 'histogram-form', 'groups-form'].forEach(function (id) {
      document.getElementById(id).addEventListener('submit', function (event) { event.preventDefault(); });
    });
    document.getElementById('key-form').addEventListener('submit', function (event) {
      event.preventDefault();
      sessionStorage.setItem(KEY_STORE, document.getElementById('key').value.trim());
      document.getElementById('key-form').hidden = true;
      status('');
      loadAll();
    });
    if (keyHeader && !sessionStorage.getItem(KEY_STORE)) {
      document.getElementById('key-form').hidden = false;
      status('This API needs a key: enter it above.');
      return;
    }
    loadAll();
  }

  function loadAll() {
    loadCounts();
    loadGenres();
    loadYears();
    loadHistogram();
    loadGroups();
    loadArtist();
  }

  init();
})();
