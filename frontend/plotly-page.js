// The page's plotly.js: the core with the traces the first screen draws (scatter: the time series;
// bar: the ranking). The map traces (choroplethmap, scattermap) and MapLibre, about two thirds of
// the bytes, come in a second script (plotly-map.js) that loads the first time a figure with a map
// is drawn, once that graph is on screen or the page is idle after loading: a map below the fold
// comes after the first paint.
// Plotly.newPlot / react / plot wait for it and then draw, so dcc.Graph and the embeds, which chain
// on the promise these return, need no change.
'use strict';

var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/scatter'),
    require('plotly.js/lib/bar'),
]);

var MAP_TRACES = {choroplethmap: true, scattermap: true};
var MAP_SCRIPT = '/plotly/plotly-map.min.js';
var loading = null;

function loadMaps() {
    if(!loading) {
        loading = new Promise(function(resolve, reject) {
            var script = document.createElement('script');
            script.src = MAP_SCRIPT;
            script.async = true;
            script.onload = function() { resolve(); };
            script.onerror = function() { loading = null; reject(new Error('could not load ' + MAP_SCRIPT)); };
            document.head.appendChild(script);
        });
    }
    return loading;
}

function wantsMaps(data) {
    if(!Array.isArray(data) || Plotly.__mapsRegistered) return false;
    for(var i = 0; i < data.length; i++) {
        if(data[i] && MAP_TRACES[data[i].type]) return true;
    }
    return false;
}

// After the page has loaded and the browser has a quiet moment, the map traces load anyway, so
// the map is ready when the reader scrolls to it.
var idle = new Promise(function(resolve) {
    function later() {
        if(window.requestIdleCallback) window.requestIdleCallback(resolve, {timeout: 2000});
        else setTimeout(resolve, 1000);
    }
    if(document.readyState === 'complete') later();
    else window.addEventListener('load', later);
});

function nearScreen(gd) {
    // Resolves once part of the graph is on screen, or the page is idle after loading (at once
    // where there is no IntersectionObserver, or the graph is not in the document).
    return new Promise(function(resolve) {
        var el = typeof gd === 'string' ? document.getElementById(gd) : gd;
        if(!el || !el.isConnected || !window.IntersectionObserver) return resolve();
        var seen = new IntersectionObserver(function(entries) {
            if(entries.some(function(e) { return e.isIntersecting; })) {
                seen.disconnect();
                resolve();
            }
        });
        seen.observe(el);
        idle.then(function() { seen.disconnect(); resolve(); });
    });
}

['newPlot', 'react'].forEach(function(name) {
    var draw = Plotly[name];
    Plotly[name] = function(gd, data) {
        var args = arguments;
        var traces = data && !Array.isArray(data) && data.data ? data.data : data;  // (gd, figure)
        if(!wantsMaps(traces)) return draw.apply(Plotly, args);
        return nearScreen(gd).then(loadMaps).then(function() { return draw.apply(Plotly, args); });
    };
});

module.exports = Plotly;
