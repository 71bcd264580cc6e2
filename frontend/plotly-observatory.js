// The plotly.js the observatory serves: the core and only the traces it draws, registered the
// way plotly.js documents for partial bundles (lib/core + Plotly.register). Built by
// `npm run build:plotly` into frontend/dist/plotly-observatory.min.js; see README "Page weight".
//   scatter        time series (page, embeds, exports) and the institutions chart
//   bar            ranking (page, embeds, exports)
//   choroplethmap  the map (page, embeds, exports), MapLibre included
//   scattermap     public service points over the map (services page)
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scatter'),
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/choroplethmap'),
    require('plotly.js/lib/scattermap'),
]);

module.exports = Plotly;
