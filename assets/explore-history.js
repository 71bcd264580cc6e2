/* The explore page's in-page links and back button reach only the page's own dcc.Location.
 *
 * A dcc.Link inside the page (the breadcrumb) and the back button fire `_dashprivate_pushstate`
 * or `popstate` on window; every dcc.Location listens to them, Dash Pages' router among them, and
 * would lay the page out again for a new query string. When the explore page is shown and only
 * its query string changed (same path, same language), this listener, registered before Dash
 * mounts any Location, stops the event there and hands the new query string to the page's own
 * Location (id "url"): its one view callback answers. observatory/dashboard.py (HISTORY_JS and
 * the "url-seen" callback) keeps window.observatoryExplore up to date.
 */
(function () {
    'use strict';
    function lang(search) {
        return new URLSearchParams(search || '').get('lang') || 'es';
    }
    function inPage(event) {
        var shown = window.observatoryExplore;
        if (!shown || !document.getElementById('map') || !window.dash_clientside) {
            return;
        }
        var loc = window.location;
        if (loc.pathname !== shown.pathname || lang(loc.search) !== lang(shown.search)) {
            return; // another page, or another language: Dash Pages lays it out
        }
        if (loc.search === shown.search) {
            return; // a #fragment: nothing to do
        }
        event.stopImmediatePropagation();
        // href too: the Location would otherwise push the address it last knew back.
        window.dash_clientside.set_props('url', {search: loc.search, href: loc.href});
    }
    window.addEventListener('popstate', inPage);
    window.addEventListener('_dashprivate_pushstate', inPage);
})();
