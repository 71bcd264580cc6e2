// The map traces for plotly-page.js: registered into the Plotly the page already has. Built with
// every plotly.js module that plotly-page.js holds taken from it (window.__plotlySrc), so both
// scripts share one registry, one set of plots and one Lib (frontend/build-plotly.mjs).
'use strict';

require('maplibre-gl/dist/maplibre-gl.css');

window.Plotly.register([
    require('plotly.js/lib/choroplethmap'),
    require('plotly.js/lib/scattermap'),
]);
window.Plotly.__mapsRegistered = true;
