// Starts GraphiQL against this server's /graphql endpoint, with a first query to run.
(function () {
  var defaultQuery = [
    '# Welcome to Sixpotify. Press the play button (or Ctrl-Enter) to run a query.',
    '{',
    '  searchArtists(query: "bts", first: 3) {',
    '    id',
    '    name',
    '    genres { name }',
    '    tracks(first: 5) {',
    '      totalCount',
    '      edges { node { name popularity album { name releaseDate } audioFeatures { energy valence } } }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
  var fetcher = GraphiQL.createFetcher({ url: window.location.origin + '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery }));
})();
