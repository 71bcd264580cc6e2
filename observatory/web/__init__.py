"""The Dash app and its doors: pages, callbacks, the API, embeds and serving rules."""
