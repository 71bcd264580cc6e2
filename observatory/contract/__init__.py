"""What every layer shares: settings, the schema, the country packs, the catalogue, i18n."""
